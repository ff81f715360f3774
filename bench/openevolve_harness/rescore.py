"""The harness's own judgement of a run: what program the user is left with, its score, and
whether it beats the initial program by more than the evaluator's noise.

Every final program is rescored with stop's loader of the folder (the folder's own evaluator,
sandboxed, test split) `repeats` times; the spread of those scores is the evaluator's noise
for that program. A run *improved* when its mean beats the initial program's mean by more than
twice the standard error of that difference (a Welch-style z > 2), and by more than rounding
when the evaluator is deterministic (both spreads 0). A run that left the user with the initial
program never improved, whatever its rescoring drew (at z > 2, an unchanged program of a noisy
evaluator otherwise "improves" in about one run of 40).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from stop.tasks.openevolve import START, split_program

Z = 2.0  # a gain over twice its standard error: noise would do that about 2% of the time
EPSILON = 1e-9


@dataclass(frozen=True)
class Rescored:
    """The mean and spread of `n` test-split scores of one program."""

    mean: float
    sd: float
    n: int
    status: str = "ok"
    detail: str = ""


def rescore(task, source: str | None, repeats: int = 1) -> Rescored:
    """Score `source` `repeats` times (an evaluator may be random)."""
    if not source:
        return Rescored(0.0, 0.0, 1, "no_program", "the system returned no program")
    if task.score(source, split="test").status == "invalid_source" and START in source:
        source = split_program(source).block  # edits outside the block: score the block alone
    scores = [task.score(source, split="test") for _ in range(max(1, repeats))]
    values = [s.value for s in scores]
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return Rescored(statistics.fmean(values), sd, len(values), scores[-1].status, scores[-1].detail)


def improved(final: Rescored, initial: Rescored, *, changed: bool = True) -> bool:
    """Whether `final` beats `initial` by more than noise (see the module docstring);
    `changed`: whether the final program is other than the initial one."""
    if not changed:
        return False
    gain = final.mean - initial.mean
    noise = math.sqrt(final.sd**2 / final.n + initial.sd**2 / initial.n)
    return gain > max(Z * noise, EPSILON * max(1.0, abs(initial.mean)))


def outcome(task, out: dict) -> tuple[str | None, str, str]:
    """(final program, outcome, detail). outcome: "changed" (a program other than the initial
    one), "unchanged" (the initial one came back, or OpenEvolve produced no candidate at all),
    "error" (the run raised or crashed). A run that ends without a program leaves the user with
    the initial program, for both systems alike, so that is what gets scored."""
    source = out.get("final_source")
    if "error" in out:
        return task.seed_solution, "error", out["error"]
    if not source:
        return task.seed_solution, "error", f"{out.get('status')}: {out.get('reason', '')}"
    block = split_program(source).block if START in source else source
    if out.get("status") == "no_candidate":
        return source, "unchanged", f"no candidate: {out.get('reason', '')}"
    if block.strip() == task.seed_solution.strip():
        return source, "unchanged", "returned the initial program"
    return source, "changed", ""
