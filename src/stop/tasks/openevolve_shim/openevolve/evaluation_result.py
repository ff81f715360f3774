"""`EvaluationResult` as OpenEvolve evaluators use it: metrics plus optional artifacts.

Compatible with OpenEvolve's class of the same name (same fields, constructor and methods), so
an evaluator written for OpenEvolve runs unchanged under `stop`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EVALUATION_FAILED_METRIC = "__evaluation_failed__"


@dataclass
class EvaluationResult:
    """`metrics` (name -> number; `combined_score` is the fitness when present) and
    `artifacts` (name -> text or bytes: logs, errors, anything worth keeping)."""

    metrics: dict[str, float]
    artifacts: dict[str, str | bytes] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, metrics: dict[str, float]) -> EvaluationResult:
        return cls(metrics=metrics)

    def to_dict(self) -> dict[str, float]:
        return self.metrics

    def has_artifacts(self) -> bool:
        return bool(self.artifacts)

    def get_artifact_keys(self) -> list:
        return list(self.artifacts.keys())

    def get_artifact_size(self, key: str) -> int:
        value = self.artifacts.get(key)
        if value is None:
            return 0
        if isinstance(value, bytes):
            return len(value)
        return len(str(value).encode("utf-8"))

    def get_total_artifact_size(self) -> int:
        return sum(self.get_artifact_size(key) for key in self.artifacts)
