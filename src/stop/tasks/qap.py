"""Modified quadratic assignment (a STOP transfer task), minimised and normalised to [0, 1].

cost(a) = sum_ij F[i,j] D[a(i),a(j)] - 0.5 sum_i P[i,a(i)] for a permutation a of 0..n-1.
The paper's code rewarded *higher* cost while its seed minimised it; here lower cost is better:

    score = clip((E_random - cost) / (E_random - cost_ref), 0, 1)

E_random is the exact expected cost of a uniformly random permutation and cost_ref the best
cost of a multi-start 2-swap local search run by the utility itself, in the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from stop.tasks.base import Task
from stop.tasks.evaluate import CPU_ALLOWANCE, Instance, InstanceScorer, Verdict
from stop.tasks.validate import permutation

LAMBDA = 0.5

SEED = """\
import numpy as np
from random import randint, random
from copy import deepcopy

def algorithm(F, D, P):
    def mqap_objective(assignment):
        objective = sum(F[i, j] * D[assignment[i], assignment[j]] for i in range(n) for j in range(n))
        objective -= lambda_value * sum(P[i, assignment[i]] for i in range(n))
        return objective

    def swap_random(assignment):
        i, j = randint(0, n - 1), randint(0, n - 1)
        while i == j:
            j = randint(0, n - 1)
        assignment[i], assignment[j] = assignment[j], assignment[i]

    n = len(F)
    lambda_value = 0.5
    max_iterations = 1000
    temperature = 1.0
    cooling_rate = 0.99

    assignment = list(range(n))
    best_assignment = deepcopy(assignment)
    best_objective = mqap_objective(assignment)

    for _ in range(max_iterations):
        temperature *= cooling_rate
        if temperature == 0:
            break
        new_assignment = deepcopy(assignment)
        swap_random(new_assignment)
        new_objective = mqap_objective(new_assignment)
        delta_objective = new_objective - mqap_objective(assignment)
        if delta_objective < 0 or random() < np.exp(-delta_objective / temperature):
            assignment = new_assignment
            if new_objective < best_objective:
                best_assignment = deepcopy(assignment)
                best_objective = new_objective

    return best_assignment
"""  # noqa: E501

VISIBLE_TEXT = '''\
import numpy as np

def utility(algorithm_str: str):
    """
    Implements the Modified Quadratic Assignment Problem (MQAP) with n facilities/locations.
    Lower cost is better; returns a normalised score in [0, 1], higher is better.
    `algorithm` may use Python's standard library and numpy, and nothing else: no other
    packages are installed, and threads, subprocesses, files and the network are unavailable.
    Each call of `algorithm` runs in a fresh, isolated process and may use at most
    {cpu_ms} milliseconds of CPU time (plus {allowance_ms} ms for process overhead); over that,
    or on any exception, the instance scores 0.
    Your algorithm function must be named 'algorithm' and take three arguments: F, D, and P,
    which are numpy arrays of shape (n, n) containing the flow, distance, and preference
    matrices. It must return exactly a list or 1-D numpy array of n Python/numpy integers that
    is a permutation of 0..n-1 (assignment[i] = location of facility i); anything else scores 0.
    The cost of an assignment a is sum over i, j of F[i, j] * D[a[i], a[j]] minus
    0.5 * sum over i of P[i, a[i]]; n = 15 and the matrices are uniform in [0, 1).
    """
    n_tests = {n_visible}
    n = {n}  # Number of facilities and locations
    lambda_value = 0.5  # Preference weight
    total = 0
    for test_idx in range(n_tests):
        F = np.random.rand(n, n)
        D = np.random.rand(n, n)
        P = np.random.rand(n, n)
        assignment = algorithm(F, D, P)  # in a separate process, given only F, D, P
        if not is_permutation(assignment, n):
            continue  # scores 0
        cost = sum(F[i, j] * D[assignment[i], assignment[j]] for i in range(n) for j in range(n))
        cost -= lambda_value * sum(P[i, assignment[i]] for i in range(n))
        # expected cost of a uniformly random permutation (exact formula)
        random_cost = expected_random_cost(F, D, P)
        # best cost of a multi-start 2-swap local search ({starts} starts), run by the utility
        reference_cost = local_search_cost(F, D, P)
        score = (random_cost - cost) / (random_cost - reference_cost)
        total += min(1.0, max(0.0, score)) / n_tests
    return total
'''


def cost(F: np.ndarray, D: np.ndarray, P: np.ndarray, a: np.ndarray) -> float:
    return float(np.sum(F * D[np.ix_(a, a)]) - LAMBDA * P[np.arange(len(a)), a].sum())


def expected_random_cost(F: np.ndarray, D: np.ndarray, P: np.ndarray) -> float:
    """E[cost] over uniform permutations: off-diagonal flows meet off-diagonal distances
    uniformly, diagonal flows meet diagonal distances uniformly, preferences average per row."""
    n = len(F)
    fd, dd = np.trace(F), np.trace(D)
    off = (F.sum() - fd) * (D.sum() - dd) / (n * (n - 1))
    return float(off + fd * dd / n - LAMBDA * P.sum() / n)


def _swap_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array(list(combinations(range(n), 2)))
    return pairs[:, 0], pairs[:, 1]


def local_search_cost(
    F: np.ndarray, D: np.ndarray, P: np.ndarray, rng: np.random.Generator, starts: int
) -> float:
    """Best cost over `starts` random starts of best-improvement 2-swap local search."""
    n = len(F)
    first, second = _swap_table(n)
    rows = np.arange(n)
    best = np.inf
    for _ in range(starts):
        a = rng.permutation(n)
        current = cost(F, D, P, a)
        while True:
            cand = np.repeat(a[None, :], len(first), axis=0)
            k = np.arange(len(first))
            cand[k, first], cand[k, second] = a[second], a[first]
            costs = np.einsum("ij,kij->k", F, D[cand[:, :, None], cand[:, None, :]])
            costs -= LAMBDA * P[rows[None, :], cand].sum(axis=1)
            i = int(np.argmin(costs))
            if costs[i] >= current - 1e-12:
                break
            a, current = cand[i], float(costs[i])
        best = min(best, current)
    return float(best)


@dataclass(frozen=True)
class QAPProblem:
    name: str = "quadratic_assignment"
    sizes: dict[str, int] = field(
        default_factory=lambda: {"visible": 3, "validation": 10, "test": 10}
    )
    cpu_seconds: float = 0.25
    n: int = 15
    starts: int = 30

    def generate(self, rng: np.random.Generator) -> Instance:
        F, D, P = (rng.random((self.n, self.n)) for _ in range(3))
        reference = local_search_cost(F, D, P, rng, self.starts)
        return Instance(args=[F, D, P], key=(F, D, P, expected_random_cost(F, D, P), reference))

    def judge(self, instance: Instance, output: Any) -> Verdict:
        F, D, P, random_cost, reference = instance.key
        a = permutation(output, self.n, "assignment")
        gain = (random_cost - cost(F, D, P, a)) / (random_cost - reference)
        return Verdict(min(1.0, max(0.0, gain)))


def qap_task() -> Task:
    problem = QAPProblem()
    return Task(
        name=problem.name,
        description=(
            "Modified quadratic assignment: assign n=15 facilities to 15 locations (a "
            "permutation) to minimise sum F[i,j] D[a(i),a(j)] - 0.5 sum P[i,a(i)] for random "
            "flow F, distance D and preference P matrices. Score per instance: (expected cost "
            "of a random permutation - cost) / (that - cost of the utility's reference local "
            "search), clipped to [0, 1]."
        ),
        seed_solution=SEED,
        entry_point="algorithm",
        signature="algorithm(F, D, P) -> assignment",
        visible_text=VISIBLE_TEXT.format(
            n_visible=problem.sizes["visible"],
            n=problem.n,
            starts=problem.starts,
            cpu_ms=round(problem.cpu_seconds * 1000),
            allowance_ms=round(CPU_ALLOWANCE * 1000),
        ),
        scorer=InstanceScorer(problem, "algorithm"),
    )
