"""Scoring a candidate with an OpenEvolve folder's evaluator, as OpenEvolve itself would.

One evaluation = the evaluator's `evaluate(path)`, or its cascade `evaluate_stage1/2/3` when it
defines them and config.yaml does not turn cascades off: each stage is its own sandboxed call
with the folder's timeout, a stage runs only when the previous one reached its threshold, and
metrics merge stage by stage, with OpenEvolve's rules for timeouts and errors. Fitness is the
raw `combined_score` (any real number), else the mean of the other numeric metrics.

Noise: evaluators often draw random numbers without a seed, so the same program scores
differently each time. A folder's `stop.repeats` = r makes every score the mean of r
independent evaluations (each repeat gets its own sandbox seed), which shrinks the noise an
improver selects on by about sqrt(r). The spread of the r values is reported in the detail.
"""

from __future__ import annotations

import functools
import math
import os
import secrets
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stop.tasks.base import Score, worst
from stop.tasks.openevolve_config import EvaluatorSettings

if TYPE_CHECKING:
    from stop.sandbox import CallResult, Sandbox
    from stop.tasks.openevolve import Program

SHIM_DIR = Path(__file__).parent / "openevolve_shim"
STAGES = ("evaluate_stage1", "evaluate_stage2", "evaluate_stage3")
# The child's own work before the evaluator starts (exec, writing files) is not the evaluator's.
WALL_SLACK_SECONDS = 2.0


@functools.cache
def child_files() -> tuple[str, dict[str, str]]:
    """(the source run in the sandbox, the EvaluationResult stand-in's files by path)."""
    child = (Path(__file__).parent / "openevolve_child.py").read_text()
    shim = {str(p.relative_to(SHIM_DIR)): p.read_text() for p in SHIM_DIR.glob("openevolve/*.py")}
    return child, shim


def fitness(metrics: dict[str, Any], feature_dimensions: tuple[str, ...] = ()) -> float | None:
    """OpenEvolve's fitness: `combined_score` when it is a number, else the mean of the numeric
    metrics other than the feature dimensions (flags such as timeout=True are not numbers).
    None when there is no number at all."""
    if "combined_score" in metrics:
        try:
            return float(metrics["combined_score"])
        except (TypeError, ValueError):
            pass
    numbers = [v for k, v in metrics.items() if _number(v) and k not in feature_dimensions]
    numbers = numbers or [v for v in metrics.values() if _number(v)]
    return sum(numbers) / len(numbers) if numbers else None


def passes(metrics: dict[str, Any], threshold: float) -> bool:
    """OpenEvolve's cascade gate: combined_score, else the mean of numbers (and flags) but
    `error`, must reach `threshold`."""
    score = metrics.get("combined_score")
    if isinstance(score, int | float):
        return float(score) >= threshold
    values = [float(v) for k, v in metrics.items() if k != "error" and isinstance(v, int | float)]
    return bool(values) and sum(values) / len(values) >= threshold


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


@dataclass
class Evaluation:
    """One full evaluation of a program (all cascade stages it reached)."""

    metrics: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    status: str = "ok"
    error: str = ""
    done: bool = False
    cascade: bool = False

    def merge(self, other: dict[str, Any]) -> None:
        """Stage results merge as OpenEvolve merges them: numbers only, `error` dropped."""
        if not self.metrics:
            self.metrics = dict(other.get("metrics", {}))
        else:
            kept = {k: float(v) for k, v in self.metrics.items() if _mergeable(k, v)}
            new = {k: float(v) for k, v in other.get("metrics", {}).items() if _mergeable(k, v)}
            self.metrics = {**kept, **new}
        self.artifacts.update(other.get("artifacts", {}))

    def fail(self, stage: int, result: CallResult) -> None:
        """A stage that timed out or raised: OpenEvolve's failure metrics for that stage."""
        timed_out = result.status == "timeout"
        self.status, self.error, self.done = result.status, _reason(result), True
        if stage == 0:  # stage 1, or a direct evaluate(): what came before is nothing
            self.metrics = {"error": 0.0}
        else:
            self.metrics[f"stage{stage + 1}_passed"] = 0.0
        if stage == 0 and self.cascade:
            self.metrics["stage1_passed"] = 0.0
        if timed_out:
            self.metrics["timeout"] = True
        self.artifacts["failure_stage"] = f"stage{stage + 1}" if self.cascade else "evaluation"
        self.artifacts["stderr"] = self.error


def _mergeable(key: str, value: Any) -> bool:
    return key != "error" and isinstance(value, int | float)


def _reason(result: CallResult) -> str:
    text = (result.error or result.status).strip()
    return text[-600:]


@dataclass(frozen=True)
class FolderScorer:
    """The `Scorer` of an OpenEvolve folder (see the module docstring)."""

    program: Program
    files: dict[str, str]  # evaluator.py and helper modules, name -> text
    functions: frozenset[str]  # the evaluator's top-level function names
    settings: EvaluatorSettings

    @property
    def stages(self) -> tuple[str, ...]:
        """The functions one evaluation calls: OpenEvolve stops at the first missing stage."""
        if not (self.settings.cascade and STAGES[0] in self.functions):
            return ("evaluate",)
        present = [s in self.functions for s in STAGES]
        return STAGES[: present.index(False)] if False in present else STAGES

    def limits(self):
        from stop.sandbox import Limits

        s = self.settings
        extra = {"memory_bytes": s.memory_bytes} if s.memory_bytes else {}
        # The timeout is wall time, as in OpenEvolve; CPU may run on every core meanwhile.
        return Limits(
            cpu_seconds=s.timeout * (os.cpu_count() or 1),
            wall_seconds=s.timeout + WALL_SLACK_SECONDS,
            max_processes=s.max_processes,
            **extra,
        )

    def __call__(
        self, source: str, split: str, seed: int | None, sandbox: Sandbox | None, count: int | None
    ) -> Score:
        full = self.program.attach(source)
        if full is None:
            return Score(
                0.0, "invalid_source", "cut off inside its EVOLVE block (no EVOLVE-BLOCK-END)", 1,
                {"invalid_source": 1},
            )  # fmt: skip
        draw = secrets.randbits(63) if seed is None and split == "visible" else seed
        nonces = [f"{split}:{draw}:{r}" for r in range(self.settings.repeats)]
        score = self.summarise(self.evaluate(full, nonces, sandbox))
        if self.program.changes_outside(source):
            note = "; edits outside the EVOLVE block were dropped (only the block is scored)"
            score = replace(score, detail=score.detail + note)
        return score

    def evaluate(self, full: str, nonces: list[str], sandbox: Sandbox | None) -> list[Evaluation]:
        """One Evaluation per nonce; each stage runs for all repeats that reached it at once."""
        from stop.sandbox import default_sandbox

        box = sandbox if sandbox is not None else default_sandbox()
        files = {**self.files, "program.py": full}
        cascade = self.stages != ("evaluate",)
        evaluations = [Evaluation(cascade=cascade) for _ in nonces]
        child, shim = child_files()
        thresholds = self.settings.thresholds
        for stage, function in enumerate(self.stages):
            todo = [i for i, e in enumerate(evaluations) if not e.done]
            if not todo:
                break
            args = [[files, shim, function, nonces[i]] for i in todo]
            results = box.call_many(child, "run", args, self.limits())
            for i, result in zip(todo, results, strict=True):
                e = evaluations[i]
                if not result.ok or not isinstance(result.value, dict):
                    e.fail(stage, result)
                    continue
                e.merge(result.value)
                last = stage == len(self.stages) - 1
                if last or stage >= len(thresholds) or not passes(e.metrics, thresholds[stage]):
                    e.done = True
        return evaluations

    def summarise(self, evaluations: list[Evaluation]) -> Score:
        """The mean fitness of the evaluations; the detail shows the spread and the metrics."""
        values: list[float] = []
        failures: Counter[str] = Counter()
        for e in evaluations:
            value = fitness(e.metrics, self.settings.feature_dimensions)
            if e.status == "ok" and (value is None or not math.isfinite(value)):
                e.status, e.error = "evaluator_error", f"fitness is {value} (metrics {e.metrics})"
            if e.status != "ok":
                failures[e.status] += 1
            values.append(value if value is not None and math.isfinite(value) else 0.0)
        mean = statistics.fmean(values)
        parts = [f"fitness {mean:.6g}"]
        if len(values) > 1:
            shown = ", ".join(f"{v:.4g}" for v in values)
            parts[0] += f" (mean of {len(values)} evaluations: {shown}; sd {_sd(values):.3g})"
        last = evaluations[-1]
        if failures:
            bad = next(e for e in evaluations if e.status != "ok")
            parts.append(f"{sum(failures.values())}/{len(values)} {bad.status}: {bad.error}")
        parts.append("metrics: " + _show(last.metrics))
        if last.artifacts:
            parts.append("artifacts: " + _show(last.artifacts, 300))
        return Score(mean, worst(failures), "; ".join(parts), len(values), dict(failures))


def _sd(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _show(mapping: dict[str, Any], width: int = 80) -> str:
    """k=v pairs; a long text keeps its end, where a traceback says what went wrong."""

    def one(v: Any) -> str:
        text = f"{v:.4g}" if isinstance(v, float) else str(v)
        return text if len(text) <= width else "..." + text[-width:]

    return ", ".join(f"{k}={one(v)}" for k, v in mapping.items())
