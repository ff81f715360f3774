"""The table of bench/improvement.py: one row per cell, from the per-run records.

Per run, the returned solution's gain is the mean over test instances of (returned − seed), each
program's per-instance scores averaged over its re-evaluations, with its 95% CI over the
instances (which instances the split happens to hold). The run counts as *improved* by the rule
`stop improve` marks runs with (`stop.experiment.stats.clears_noise`): the CI's lower end lies
above the scorer's noise, the spread of either program's test score over its re-evaluations
(load, for time-limited tasks). A run that failed scores 0 (the returned program is treated as
scoring 0 on every instance).

    .venv/bin/python bench/improvement_table.py /tmp/stop-bench-improvement.jsonl
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from stop.experiment.outcomes import count_failures, describe_failures  # noqa: E402
from stop.experiment.stats import Estimate, clears_noise, estimate  # noqa: E402


@dataclass(frozen=True)
class RunGain:
    seed: float
    returned: float
    paired: Estimate  # returned − seed over the test instances
    noise: float  # the scorer's: spread over re-evaluations

    @property
    def gain(self) -> float:
        return self.paired.mean

    @property
    def improved(self) -> bool:
        return clears_noise(self.paired, self.noise)


@dataclass(frozen=True)
class CellRow:
    cell: str
    runs: int
    samples: int
    valid_scored: int  # distinct candidates the improver scored above 0
    valid_raw: int  # samples whose raw code block scored above 0
    failures: dict[str, int]
    improved: int
    gain: Estimate
    seed: float
    noise: float
    best_returned: float
    samples_per_minute: float
    minutes_per_run: float


def run_gain(record: dict) -> RunGain:
    seed = _instance_means(record["seed_test"])
    if record["returned_test"]:
        returned = _instance_means(record["returned_test"])
    else:
        returned = [0.0] * len(seed)
    diffs = [r - s for r, s in zip(returned, seed, strict=True)]
    spread = max(_spread(record["seed_test"]), _spread(record["returned_test"] or []))
    return RunGain(statistics.fmean(seed), statistics.fmean(returned), estimate(diffs), spread)


def summarise_cells(records: list[dict]) -> list[CellRow]:
    cells: dict[str, list[dict]] = {}
    for record in records:
        cells.setdefault(record["cell"], []).append(record)
    return [_row(cell, runs) for cell, runs in cells.items()]


def _row(cell: str, records: list[dict]) -> CellRow:
    gains = [run_gain(run) for r in records for run in _runs(r)]
    samples = [s for r in records for s in r["samples"]]
    minutes = sum(r["wall_seconds"] for r in records) / 60
    return CellRow(
        cell=cell,
        runs=len(gains),
        samples=len(samples),
        valid_scored=sum(r["valid_candidates"] for r in records),
        valid_raw=sum(1 for s in samples if s["failure"] is None),
        failures=count_failures(s["failure"] for s in samples),
        improved=sum(g.improved for g in gains),
        gain=estimate([g.gain for g in gains]),
        seed=statistics.fmean(g.seed for g in gains),
        noise=statistics.fmean(g.noise for g in gains),
        best_returned=max(g.returned for g in gains),
        samples_per_minute=len(samples) / minutes if minutes else 0.0,
        minutes_per_run=minutes / len(gains),
    )


def _runs(record: dict) -> list[dict]:
    """The runs of one record: a group of concurrent runs, or (older records) a single run."""
    return record.get("outcomes", [record])


def print_table(rows: list[CellRow]) -> None:
    """A Markdown table (pasted into docs/performance.md as printed)."""
    print(
        "| model | improver | task | runs | valid (scored) | valid (raw) | improved | gain ± CI95"
        " | seed · noise | best | samples/min | min/run | failures of raw samples |"
    )
    print("|" + "---|" * 13)
    for row in rows:
        model, improver, task = row.cell.rsplit(":", 2)
        gain = (
            f"{row.gain.mean:+.3f} ± {row.gain.ci95:.3f}"
            if row.runs > 1
            else f"{row.gain.mean:+.3f}"
        )
        print(
            f"| {model} | {improver} | {task} | {row.runs} | {_pct(row.valid_scored, row.samples)}"
            f" | {_pct(row.valid_raw, row.samples)} | {row.improved}/{row.runs} | {gain}"
            f" | {row.seed:.3f} · {row.noise:.3f} | {row.best_returned:.3f}"
            f" | {row.samples_per_minute:.1f} | {row.minutes_per_run:.1f}"
            f" | {describe_failures(row.failures) or '—'} |"
        )


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"


def _instance_means(rescorings: list[list[float]]) -> list[float]:
    return [statistics.fmean(values) for values in zip(*rescorings, strict=True)]


def _spread(rescorings: list[list[float]]) -> float:
    means = [statistics.fmean(r) for r in rescorings if r]
    return max(means) - min(means) if means else 0.0


if __name__ == "__main__":
    import json

    lines = Path(sys.argv[1]).read_text().splitlines()
    print_table(summarise_cells([json.loads(line) for line in lines if line.strip()]))
