"""Learning parity (with and without noise): the STOP paper's self-improvement task and its
noiseless transfer variant.

A secret subset of n=10 bits (each bit in it with probability 0.3) defines the label of a
sample as the parity of its bits in the subset. The candidate sees labelled training samples and
predicts the labels of 20 test samples; the score is test accuracy. The test labels stay in the
host: the candidate's process only receives the samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stop.tasks.base import Task
from stop.tasks.evaluate import CPU_ALLOWANCE, Instance, InstanceScorer, Verdict
from stop.tasks.validate import binary_vector

SEED = """\
import numpy as np

def algorithm(train_samples, train_parity, test_samples):
    predictions = np.random.binomial(1, 0.5, len(test_samples))
    return predictions
"""

SIGNATURE = "algorithm(train_samples, train_parity, test_samples) -> predictions"

VISIBLE_TEXT = '''\
import numpy as np

def utility(algorithm_str: str):
    """
    Implements the {title} task. Returns the mean test accuracy over {n_visible} random
    instances, a value in [0, 1].
    `algorithm` may use Python's standard library and numpy, and nothing else: no other
    packages are installed, and threads, subprocesses, files and the network are unavailable.
    Each call of `algorithm` runs in a fresh, isolated process and may use at most
    {cpu_ms} milliseconds of CPU time (plus {allowance_ms} ms for process overhead); over that,
    or on any exception, the instance scores 0.
    `algorithm(train_samples, train_parity, test_samples)` gets numpy integer arrays of 0s and
    1s: train_samples of shape ({n_train}, 10), train_parity of shape ({n_train},) (the label of
    each training sample) and test_samples of shape (20, 10); it predicts the test labels.
    A sample's label is the parity (sum mod 2) of its bits in a hidden subset of the 10 bit
    positions (each position in it with probability 0.3); training labels are flipped with
    probability {noise}. The hidden subset differs from instance to instance.
    The output must be exactly a list or a 1-D numpy array of length len(test_samples) whose
    values are 0 or 1. Anything else (a scalar, a 2-D array such as shape (n, 1), another
    length, other values) scores 0 for that instance: outputs are never reshaped or coerced.
    """
    n_tests = {n_visible}
    average_correct = 0
    for _ in range(n_tests):
        n_bits = 10
        p_true = 0.3
        n_train_samples = {n_train}
        n_test_samples = 20
        noise_level = {noise}
        true_bits = np.random.binomial(1, p_true, n_bits)

        samples = np.random.binomial(1, 0.5, (n_train_samples + n_test_samples, n_bits))
        parity = np.sum(samples * true_bits, axis=1) % 2
        train_samples = samples[:n_train_samples]
        train_parity = parity[:n_train_samples]
        parity_noise = np.random.binomial(1, noise_level, n_train_samples)
        train_parity = (train_parity + parity_noise) % 2

        test_samples = samples[n_train_samples:]
        test_parity = parity[n_train_samples:]

        # run in a separate process, which receives only the three arguments:
        predictions = algorithm(train_samples, train_parity, test_samples)
        if not is_list_or_1d_array_of_0_1(predictions, length=n_test_samples):
            correct = 0
        else:
            correct = np.sum(np.asarray(predictions) == test_parity) / n_test_samples
        average_correct += correct / n_tests
    return average_correct
'''


@dataclass(frozen=True)
class ParityProblem:
    """Parity learning with label noise `noise` on `n_train` training samples."""

    name: str
    noise: float
    n_train: int
    sizes: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.1
    n_bits: int = 10
    p_true: float = 0.3
    n_test: int = 20

    def generate(self, rng: np.random.Generator) -> Instance:
        true_bits = rng.binomial(1, self.p_true, self.n_bits)
        samples = rng.binomial(1, 0.5, (self.n_train + self.n_test, self.n_bits))
        parity = (samples @ true_bits) % 2
        train_parity = parity[: self.n_train]
        if self.noise:
            train_parity = (train_parity + rng.binomial(1, self.noise, self.n_train)) % 2
        args = [samples[: self.n_train], train_parity, samples[self.n_train :]]
        return Instance(args=args, key=parity[self.n_train :])

    def judge(self, instance: Instance, output: Any) -> Verdict:
        predictions = binary_vector(output, self.n_test, "predictions")
        return Verdict(float(np.mean(predictions == instance.key)))


def _task(problem: ParityProblem, title: str, description: str) -> Task:
    text = VISIBLE_TEXT.format(
        title=title,
        n_visible=problem.sizes["visible"],
        cpu_ms=round(problem.cpu_seconds * 1000),
        allowance_ms=round(CPU_ALLOWANCE * 1000),
        n_train=problem.n_train,
        noise=problem.noise,
    )
    return Task(
        name=problem.name,
        description=description,
        seed_solution=SEED,
        entry_point="algorithm",
        signature=SIGNATURE,
        visible_text=text,
        scorer=InstanceScorer(problem, "algorithm"),
    )


def lpn_task() -> Task:
    """Learning parity with noise (STOP's self-improvement task): 5% label noise."""
    problem = ParityProblem(
        "lpn", noise=0.05, n_train=100, sizes={"visible": 3, "validation": 20, "test": 50}
    )
    return _task(
        problem,
        "learning parity with noise",
        "Learning parity with noise: the label of a 10-bit sample is the parity of its bits in "
        "a hidden subset (each bit in it with probability 0.3). From 100 training samples whose "
        "labels are flipped with probability 0.05, predict the labels of 20 test samples. "
        "Score: test accuracy, averaged over instances; random guessing scores about 0.5.",
    )


def parity_task() -> Task:
    """Noiseless parity (a STOP transfer task): 80 clean training samples."""
    problem = ParityProblem(
        "parity", noise=0.0, n_train=80, sizes={"visible": 3, "validation": 20, "test": 50}
    )
    return _task(
        problem,
        "noiseless parity learning",
        "Learning parity without noise: the label of a 10-bit sample is the parity of its bits "
        "in a hidden subset (each bit in it with probability 0.3). From 80 correctly labelled "
        "training samples, predict the labels of 20 test samples. Score: test accuracy, "
        "averaged over instances; random guessing scores about 0.5.",
    )
