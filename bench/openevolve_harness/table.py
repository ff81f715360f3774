"""Runs -> the side-by-side table: task × system -> score (mean ± 95% CI), server counts, time."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

# Student-t 0.975 quantiles by degrees of freedom (1.96 beyond 30).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}  # fmt: skip


@dataclass
class RunRecord:
    """One system's run on one task with one seed, as measured by the harness."""

    task: str
    system: str
    seed: int
    score: float  # the harness's own rescoring of the final program (test split, sandboxed)
    requests: int  # counted at the server (proxy)
    completions: int
    prompt_tokens: int
    completion_tokens: int
    failed_requests: int
    wall_seconds: float  # the whole child process, measured by the harness
    status: str = "changed"  # "changed", "unchanged" (initial program kept) or "error"
    detail: str = ""
    own_score: float | None = None  # what the system itself claimed (reference only)
    extra: dict = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def mean_ci(values: list[float]) -> tuple[float, float]:
    """Mean and Student-t 95% half-width (0 for a single value)."""
    if not values:
        return 0.0, 0.0
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, 0.0
    df = len(values) - 1
    t = _T95[max(k for k in _T95 if k <= df)] if df <= 30 else 1.96
    return mean, t * statistics.stdev(values) / math.sqrt(len(values))


def _cell(values: list[float], digits: int = 3) -> str:
    mean, half = mean_ci(values)
    return f"{mean:.{digits}f} ± {half:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


HEADER = (
    "task",
    "system",
    "runs",
    "best score (test)",
    "LM requests",
    "completions",
    "tokens (prompt+compl.)",
    "wall s",
    "runs: changed / unchanged / error",
)


def rows(records: list[RunRecord], seed_scores: dict[str, float]) -> list[tuple[str, ...]]:
    """One row per (task, system) in first-seen order, plus the initial program per task."""
    out: list[tuple[str, ...]] = []
    for task in dict.fromkeys(r.task for r in records):
        if task in seed_scores:
            out.append((task, "initial program (no LM)", "1", f"{seed_scores[task]:.3f}",
                        "0", "0", "0", "-", "-"))  # fmt: skip
        for system in dict.fromkeys(r.system for r in records if r.task == task):
            runs = [r for r in records if r.task == task and r.system == system]
            out.append(
                (
                    task,
                    system,
                    str(len(runs)),
                    _cell([r.score for r in runs]),
                    _cell([float(r.requests) for r in runs], 1),
                    _cell([float(r.completions) for r in runs], 1),
                    f"{statistics.fmean(r.prompt_tokens for r in runs):.0f}"
                    f"+{statistics.fmean(r.completion_tokens for r in runs):.0f}",
                    _cell([r.wall_seconds for r in runs], 0),
                    " / ".join(
                        str(sum(r.status == kind for r in runs))
                        for kind in ("changed", "unchanged", "error")
                    ),
                )
            )
    return out


def markdown(records: list[RunRecord], seed_scores: dict[str, float]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(records, seed_scores)]
    return "\n".join(lines)
