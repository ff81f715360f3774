"""The one seam between tasks and the sandbox, and the generic instance-based scorer.

Instances are generated in this (host) process from a numpy Generator; the candidate's child
process receives only `Instance.args` and returns an output; `Problem.judge` scores that output
here against `Instance.key`. So the labels, optimal values and reference costs that scoring needs
never exist in the candidate's process: inspecting its frames, globals or heap finds nothing.
"""

from __future__ import annotations

import secrets
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from stop.tasks.base import SPLITS, Score, worst
from stop.tasks.secret import task_secret
from stop.tasks.validate import Invalid

if TYPE_CHECKING:
    from stop.sandbox import CallResult, Sandbox

# CPU seconds a child may use beyond the task's limit before the instance counts as a timeout.
# It covers the sandbox's own work in the child (exec of the source, decoding the arguments,
# encoding the result), which is charged to the child's CPU time but is not the candidate's.
CPU_ALLOWANCE = 0.05


def wall_limit(cpu_seconds: float) -> float:
    """Wall-clock backstop for one instance: generous, since a busy host slows the child down;
    the CPU limit is the one that decides timeouts (it holds on slow and fast machines alike)."""
    return 1.0 + 5 * (cpu_seconds + CPU_ALLOWANCE)


def run_candidate(
    source: str,
    entry: str,
    args_list: Sequence[list[Any]],
    cpu_seconds: float,
    sandbox: Sandbox | None = None,
) -> list[CallResult]:
    """Call `entry(*args)` from `source` once per args item, each in a fresh sandboxed child
    limited to `cpu_seconds` (+ CPU_ALLOWANCE) of CPU time. Returns one CallResult per item."""
    from stop.sandbox import Limits, default_sandbox

    cpu = round(cpu_seconds + CPU_ALLOWANCE, 6)
    limits = Limits(cpu_seconds=cpu, wall_seconds=wall_limit(cpu_seconds))
    box = sandbox if sandbox is not None else default_sandbox()
    return box.call_many(source, entry, [list(a) for a in args_list], limits)


@dataclass(frozen=True)
class Instance:
    """One problem instance: `args` go to the candidate, `key` stays in the host for judging."""

    args: list[Any]
    key: Any


@dataclass(frozen=True)
class Verdict:
    """The judgement of one output: a value in [0, 1] and, for a malformed output, why."""

    value: float
    failure: str | None = None
    reason: str = ""


class Problem(Protocol):
    """What a built-in task module supplies to the generic scorer."""

    name: str
    cpu_seconds: float
    sizes: dict[str, int]  # split -> number of instances

    def generate(self, rng: np.random.Generator) -> Instance: ...

    def judge(self, instance: Instance, output: Any) -> Verdict: ...


def instance_rngs(task: str, split: str, seed: int | None, count: int) -> list[np.random.Generator]:
    """One Generator per instance. Secret splits (code 1 or 2) are fixed per installation by
    `task_secret()`; the visible split (code 0) uses `seed`, or fresh OS entropy when `seed` is
    None. Different codes give different SeedSequence entropy, so splits share no instance."""
    salt = zlib.crc32(task.encode())
    code = SPLITS.index(split)
    if split == "visible":
        base = [salt, code, secrets.randbits(63) if seed is None else seed]
    else:
        base = [salt, code, task_secret()]
    return [np.random.default_rng([*base, i]) for i in range(count)]


def judge_result(problem: Problem, instance: Instance, result: CallResult) -> Verdict:
    """Turn one sandbox result into a verdict: runtime failures and overtime score 0."""
    limit = round(problem.cpu_seconds + CPU_ALLOWANCE, 6)
    if result.status == "ok" and result.cpu_seconds > limit:
        return Verdict(0.0, "timeout", f"used {result.cpu_seconds:.3f} s CPU (limit {limit} s)")
    if not result.ok:
        return Verdict(0.0, result.status, (result.error or result.status).strip()[-200:])
    try:
        verdict = problem.judge(instance, result.value)
    except Invalid as exc:
        return Verdict(0.0, "invalid_output", str(exc))
    return Verdict(min(1.0, max(0.0, float(verdict.value))), verdict.failure, verdict.reason)


def summarise(verdicts: list[Verdict]) -> Score:
    """Mean value, failure counts and a one-line reason naming the most common failure."""
    n = len(verdicts)
    value = sum(v.value for v in verdicts) / n if n else 0.0
    failures = dict(Counter(v.failure for v in verdicts if v.failure))
    detail = f"mean {value:.3f} over {n} instances"
    if failures:
        kind = max(failures, key=failures.__getitem__)
        reason = next(v.reason for v in verdicts if v.failure == kind)
        detail += f"; {failures[kind]}/{n} instances {kind}: {reason}"
        others = [f"{c} {k}" for k, c in failures.items() if k != kind]
        if others:
            detail += f" (also {', '.join(others)})"
    return Score(value, worst(failures), detail, n, failures, tuple(v.value for v in verdicts))


@dataclass(frozen=True)
class InstanceScorer:
    """Scores a candidate on a built-in problem: generate here, run there, judge here."""

    problem: Problem
    entry: str

    def instances(self, split: str, seed: int | None, count: int | None = None) -> list[Instance]:
        full = self.problem.sizes[split]
        n = full if count is None else min(count, full)
        return [
            self.problem.generate(rng) for rng in instance_rngs(self.problem.name, split, seed, n)
        ]

    def __call__(
        self,
        source: str,
        split: str,
        seed: int | None,
        sandbox: Sandbox | None,
        count: int | None,
    ) -> Score:
        instances = self.instances(split, seed, count)
        results = run_candidate(
            source, self.entry, [i.args for i in instances], self.problem.cpu_seconds, sandbox
        )
        return summarise(
            [judge_result(self.problem, i, r) for i, r in zip(instances, results, strict=True)]
        )
