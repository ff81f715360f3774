"""Means and 95% confidence intervals over independent runs."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# Two-sided 95% Student t quantiles for small samples (df = n - 1); 1.96 beyond the table.
_T95 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    15: 2.131,
    20: 2.086,
    30: 2.042,
}


@dataclass(frozen=True)
class Estimate:
    mean: float
    ci95: float  # half-width; 0 when there is a single run
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.ci95:.3f}" if self.n > 1 else f"{self.mean:.3f}"


def _t95(df: int) -> float:
    eligible = [k for k in _T95 if k <= df]
    return _T95[max(eligible)] if df <= 30 else 1.96


def estimate(values: list[float]) -> Estimate:
    """Mean and Student-t 95% CI half-width of `values` (independent runs)."""
    if not values:
        return Estimate(0.0, 0.0, 0)
    mean = statistics.fmean(values)
    if len(values) < 2:
        return Estimate(mean, 0.0, len(values))
    half = _t95(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return Estimate(mean, half, len(values))


def clears_noise(gain: Estimate, noise: float) -> bool:
    """Whether a paired gain is real: the lower end of its 95% CI lies above the scorer's own
    noise (the spread of one program's score over re-scorings; 0 for a deterministic scorer).
    `stop improve` and bench/improvement.py call a run *improved* by this one rule."""
    return gain.n > 0 and gain.mean - gain.ci95 > noise
