"""Runs -> the side-by-side table: per task, LM budget and system, how often the system improved
on the initial program (beyond the evaluator's noise), by how much, the final score, the wall
time of a run, and what the server did (counted at the proxy)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

# Student-t 0.975 quantiles by degrees of freedom (1.96 beyond 30).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}  # fmt: skip


@dataclass
class RunRecord:
    """One system's run on one task with one seed and one LM budget, as the harness saw it."""

    task: str
    system: str
    seed: int
    score: float  # the harness's rescoring of the final program: mean over score_n (test split)
    requests: int  # counted at the server (proxy)
    completions: int
    prompt_tokens: int
    completion_tokens: int
    failed_requests: int
    wall_seconds: float  # the whole child process, measured by the harness
    status: str = "changed"  # "changed", "unchanged" (initial program kept) or "error"
    detail: str = ""
    own_score: float | None = None  # what the system itself claimed (reference only)
    calls: int = 0  # the LM budget of the run (samples)
    score_sd: float = 0.0  # spread of the final program's rescorings (the evaluator's noise)
    score_n: int = 1
    improved: bool = False  # beats the initial program by more than noise (rescore.improved)
    gain: float = 0.0  # score - the initial program's score
    extra: dict = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Initial:
    """The initial program of a task, rescored: mean and spread over n scores."""

    mean: float
    sd: float
    n: int


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


def _cell(values: list[float], digits: int = 3, sign: bool = False) -> str:
    mean, half = mean_ci(values)
    fmt = f"{'+' if sign else ''}.{digits}f"
    return f"{mean:{fmt}} ± {half:.{digits}f}" if len(values) > 1 else f"{mean:{fmt}}"


HEADER = (
    "task",
    "LM calls",
    "system",
    "improved runs",
    "gain (mean ± 95% CI)",
    "best gain",
    "final score",
    "noise (sd of one score)",
    "wall s per run",
    "requests / completions",
    "runs: changed / unchanged / error",
)


def rows(records: list[RunRecord], initial: dict[str, Initial]) -> list[tuple[str, ...]]:
    """One row per (task, calls, system) in first-seen order, after each task's initial row."""
    out: list[tuple[str, ...]] = []
    for task in dict.fromkeys(r.task for r in records):
        if task in initial:
            i = initial[task]
            out.append((task, "0", "initial program (no LM)", "-", "-", "-", f"{i.mean:.3f}",
                        f"{i.sd:.3f} (n={i.n})", "-", "0 / 0", "-"))  # fmt: skip
        keys = dict.fromkeys((r.calls, r.system) for r in records if r.task == task)
        for calls, system in sorted(keys, key=lambda k: k[0]):
            runs = [r for r in records if (r.task, r.calls, r.system) == (task, calls, system)]
            sds = [r.score_sd for r in runs]
            out.append(
                (
                    task,
                    str(calls),
                    system,
                    f"{sum(r.improved for r in runs)} / {len(runs)}",
                    _cell([r.gain for r in runs], sign=True),
                    f"{max(r.gain for r in runs):+.3f}",
                    _cell([r.score for r in runs]),
                    f"{statistics.fmean(sds):.3f}",
                    _cell([r.wall_seconds for r in runs], 0),
                    f"{statistics.fmean(r.requests for r in runs):.1f}"
                    f" / {statistics.fmean(r.completions for r in runs):.1f}",
                    " / ".join(
                        str(sum(r.status == kind for r in runs))
                        for kind in ("changed", "unchanged", "error")
                    ),
                )
            )
    return out


def markdown(records: list[RunRecord], initial: dict[str, Initial]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(records, initial)]
    return "\n".join(lines)
