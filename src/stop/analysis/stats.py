"""Confidence intervals for rates (share of improvers that did something)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """`count` of `total`, with a 95% Wilson score interval [low, high]."""

    count: int
    total: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.count / self.total if self.total else 0.0

    def __str__(self) -> str:
        if not self.total:
            return "-"
        return (
            f"{self.count}/{self.total} = {100 * self.value:.2f}%"
            f" [95% CI {100 * self.low:.2f}–{100 * self.high:.2f}%]"
        )


def wilson(count: int, total: int, z: float = 1.959964) -> Rate:
    """The Wilson score interval: unlike the normal approximation it stays inside [0, 1] and
    is not degenerate at 0 events, which matters for rare events like circumvention (0.4%)."""
    if total <= 0:
        return Rate(0, 0, 0.0, 0.0)
    if not 0 <= count <= total:
        raise ValueError(f"count {count} must be between 0 and total {total}")
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return Rate(count, total, max(0.0, centre - half), min(1.0, centre + half))
