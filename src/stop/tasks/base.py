"""The task value and its score: what every downstream task, built-in or user-made, looks like."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stop.errors import TaskError
from stop.tasks.scale import describe

if TYPE_CHECKING:  # the sandbox is only needed when a score is computed
    from stop.sandbox import Sandbox

SPLITS = ("visible", "validation", "test")

# Worst first: how `Score.status` picks one failure kind when several occurred.
SEVERITY = (
    "violation",
    "killed",
    "memory",
    "timeout",
    "crashed",
    "exception",
    "bad_output",
    "invalid_output",
    "evaluator_error",
    "invalid_source",
)


@dataclass(frozen=True)
class Score:
    """A candidate's score on one split: `value` (in the task's scale, usually [0, 1]) plus why
    it is not the best possible."""

    value: float
    status: str
    detail: str
    instances: int
    failures: Mapping[str, int] = field(default_factory=dict)
    # Each instance's value, where the task scores instances separately (empty otherwise): what
    # a paired comparison of two programs on the same instances needs.
    per_instance: tuple[float, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def worst(failures: Mapping[str, int]) -> str:
    """The most severe failure kind in `failures`, or "ok" when there is none."""
    kinds = [k for k, n in failures.items() if n]
    if not kinds:
        return "ok"
    rank = {k: i for i, k in enumerate(SEVERITY)}
    return min(kinds, key=lambda k: rank.get(k, len(SEVERITY)))


# (source, split, seed, sandbox, instances) -> Score
Scorer = Callable[[str, str, "int | None", "Sandbox | None", "int | None"], Score]


@dataclass(frozen=True)
class Task:
    """A program to improve (`seed_solution`) and the utilities that judge candidates.

    `visible_text` is what improvers are shown (`utility.str`); the validation and test splits
    use the same definition on fixed, secret instances.
    """

    name: str
    description: str
    seed_solution: str
    entry_point: str
    signature: str
    visible_text: str
    scorer: Scorer = field(repr=False, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # The range scores lie in; None: any real number (an OpenEvolve combined_score, say).
    scale: tuple[float, float] | None = (0.0, 1.0)

    @property
    def scale_text(self) -> str:
        """How scores of this task read, e.g. "in [0, 1]" or "any real number"."""
        return describe(self.scale)

    def score(
        self,
        source: str,
        *,
        split: str = "visible",
        seed: int | None = None,
        sandbox: Sandbox | None = None,
        instances: int | None = None,
    ) -> Score:
        """Score `source` on `split` ("visible", "validation" or "test").

        The visible split draws fresh instances on every call unless `seed` is given; the secret
        splits always use their fixed instances. `instances` keeps only the first k instances
        of the split (for quick checks); None uses the whole split.
        """
        if split not in SPLITS:
            raise TaskError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
        if instances is not None and instances < 1:
            raise TaskError(f"instances must be at least 1, got {instances}")
        if not isinstance(source, str) or not source.strip():
            return Score(
                0.0, "invalid_source", "the solution is not Python source", 0, {"invalid_source": 1}
            )
        return self.scorer(source, split, seed, sandbox, instances)
