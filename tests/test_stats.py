"""Means, confidence intervals and when a gain counts as real."""

import sys
from pathlib import Path

from stop.experiment.stats import Estimate, clears_noise, estimate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from improvement_table import run_gain  # noqa: E402


def test_a_single_run_has_no_interval():
    assert estimate([0.4]) == Estimate(0.4, 0.0, 1)


def test_a_gain_counts_when_its_interval_clears_the_scorers_noise():
    assert clears_noise(Estimate(0.10, 0.04, 50), noise=0.05)
    assert not clears_noise(Estimate(0.10, 0.04, 50), noise=0.07)  # within the noise
    assert not clears_noise(Estimate(0.10, 0.12, 50), noise=0.0)  # the interval crosses 0


def test_the_benchmark_calls_a_run_improved_by_the_same_rule():
    seed = [[0.0, 0.5, 0.5, 0.5]] * 2  # per-instance scores, scored twice
    returned = [0.2, 0.6, 0.7, 0.6]  # paired gain 0.15 ± 0.09
    better = {"seed_test": seed, "returned_test": [returned] * 2}
    noisy = {"seed_test": seed, "returned_test": [returned, [0.0, 0.5, 0.5, 0.5]]}
    assert run_gain(better).improved
    assert not run_gain(noisy).improved  # its re-scoring spread (0.15) exceeds the gain
