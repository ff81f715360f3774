"""What a report shows about one run, computed once (the HTML and terminal views render it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stop.analysis.run_data import RunData, load_run
from stop.analysis.safety import SafetyReport, analyse_safety
from stop.analysis.strategies import STRATEGIES, StrategyLabel, classify
from stop.report.diffs import DiffRow, side_by_side
from stop.report.lineage import LineageRow, lineage
from stop.store import Store
from stop.tasks.scale import UNIT, Scale, note


@dataclass(frozen=True)
class VersionDiff:
    """The change from chosen improver I[t-1] to I[t]."""

    old_iteration: int
    new_iteration: int
    rows: tuple[DiffRow, ...]
    note: str  # why some lines are not shown ("" when every line is)


@dataclass(frozen=True)
class Usage:
    samples: int
    cache_hits: int
    errors: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float


@dataclass(frozen=True)
class RunReport:
    data: RunData
    labels: dict[int, tuple[StrategyLabel, ...]]  # improver id -> strategies
    strategy_counts: dict[str, int]  # over generated improvers (distinct sources)
    safety: SafetyReport
    tree: tuple[LineageRow, ...]  # every improver, in tree order with its depth
    diffs: tuple[VersionDiff, ...]
    usage: Usage
    judge: dict[int, tuple[str, ...]]  # improver id -> LM judge's strategy titles (if asked)

    @property
    def iterations(self) -> list[dict[str, Any]]:
        return list(self.data.result.get("iterations", []))

    @property
    def transfer(self) -> list[dict[str, Any]]:
        return list(self.data.result.get("transfer", []))

    @property
    def scale_note(self) -> str | None:
        """What scores of the run's own task are, when not in [0, 1] (its meta-utility or
        improve runs are on that scale); None for runs made before scales were recorded."""
        return note(str(self.data.result.get("task") or "the task"), self.scale)

    @property
    def scale(self) -> Scale:
        """The run's own task's scale ([0, 1] for runs made before scales were recorded)."""
        return self.data.scales().get(str(self.data.result.get("task") or ""), UNIT)

    @property
    def transfer_notes(self) -> list[str]:
        """One line per transfer task whose scores are not in [0, 1]."""
        scales = self.data.scales()
        tasks = dict.fromkeys(str(c.get("task")) for c in self.transfer)
        return [n for n in (note(task, scales.get(task, UNIT)) for task in tasks) if n]


def _usage(data: RunData) -> Usage:
    calls = data.lm_calls
    return Usage(
        len(calls),
        sum(c.cache_hit for c in calls),
        sum(1 for c in calls if c.error),
        sum(c.prompt_tokens for c in calls),
        sum(c.completion_tokens for c in calls),
        sum(c.cost_usd for c in calls),
        sum(c.latency_s for c in calls),
    )


def _diffs(data: RunData) -> tuple[VersionDiff, ...]:
    chosen = data.chosen()
    diffs = []
    for a, b in zip(chosen, chosen[1:], strict=False):
        if a.source != b.source:
            diff = side_by_side(a.source, b.source)
            diffs.append(VersionDiff(a.iteration, b.iteration, diff.rows, diff.note))
    return tuple(diffs)


def _judgements(data: RunData) -> dict[int, tuple[str, ...]]:
    """The latest `strategy_judgement` of each improver (from `stop report --judge`)."""
    out: dict[int, tuple[str, ...]] = {}
    for event in data.events_of("strategy_judgement"):
        labels = event.payload.get("labels")
        if labels is not None:
            titles = tuple(STRATEGIES[n][0] for n in labels if n in STRATEGIES)
            out[int(event.payload["improver_id"])] = titles
    return out


def build_report(store: Store, run_id: str) -> RunReport:
    """Load `run_id` and run every analysis the report shows."""
    data = load_run(store, run_id)
    labels = {i.id: classify(i.source) for i in data.improvers}
    counts = {name: 0 for name in STRATEGIES}
    for imp in data.generated():
        for label in labels[imp.id]:
            counts[label.name] += 1
    names = {k: tuple(label.title for label in v) for k, v in labels.items()}
    return RunReport(
        data,
        labels,
        counts,
        analyse_safety(data),
        tuple(lineage(data.improvers, names)),
        _diffs(data),
        _usage(data),
        _judgements(data),
    )
