"""Weighted Max-Cut (a STOP transfer task), normalised against the utility's own reference.

Graphs of 50-200 nodes, edge probability 0.4, integer weights 1-10, given as a symmetric
float adjacency matrix. The candidate labels every node 0 or 1. Per instance:

    score = clip((cut - W/2) / (cut_ref - W/2), 0, 1)

W is the total edge weight, so W/2 is the expected cut of a uniformly random labelling, and
cut_ref the cut of the utility's reference heuristic (best of a few random starts of 1-flip
local search), computed in the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stop.tasks.base import Task
from stop.tasks.evaluate import CPU_ALLOWANCE, Instance, InstanceScorer, Verdict
from stop.tasks.validate import binary_vector

SEED = """\
def algorithm(adjacency_matrix):
    n_nodes = len(adjacency_matrix)
    partition = [-1] * n_nodes
    unpartitioned_nodes = set(range(n_nodes))

    while len(unpartitioned_nodes) > 0:
        max_cut_weight = -1
        max_cut_node = None
        max_cut_partition = None

        for node in unpartitioned_nodes:
            for partition_id in [0, 1]:
                cut_weight = 0
                for neighbor, weight in enumerate(adjacency_matrix[node]):
                    if partition[neighbor] == 1 - partition_id:
                        cut_weight += weight

                if cut_weight > max_cut_weight:
                    max_cut_weight = cut_weight
                    max_cut_node = node
                    max_cut_partition = partition_id

        partition[max_cut_node] = max_cut_partition
        unpartitioned_nodes.remove(max_cut_node)

    return partition
"""

VISIBLE_TEXT = '''\
import random
import numpy as np

def utility(algorithm_str: str):
    """
    Implements the Max-Cut utility function. Returns the average normalised cut, in [0, 1].
    `algorithm` may use Python's standard library and numpy, and nothing else: no other
    packages are installed, and threads, subprocesses, files and the network are unavailable.
    Each call of `algorithm` runs in a fresh, isolated process and may use at most
    {cpu_ms} milliseconds of CPU time (plus {allowance_ms} ms for process overhead); over that,
    or on any exception, the instance scores 0.
    `algorithm(adjacency_matrix)` gets a symmetric float numpy array of shape (n, n) and must
    return exactly a list or 1-D numpy array of length n whose values are 0 or 1 (the side of
    each node); anything else scores 0 for that instance. The cut is the total weight of the
    edges whose two nodes are on different sides; graphs have 50 to 200 nodes.
    """
    n_tests = {n_visible}
    total = 0
    for test_idx in range(n_tests):
        n_nodes = random.randint(50, 200)
        p_edge = 0.4
        max_weight = 10

        # Generate random adjacency matrix
        adjacency_matrix = np.zeros((n_nodes, n_nodes))
        for i in range(n_nodes):
            for j in range(i+1, n_nodes):
                if random.random() < p_edge:
                    weight = random.randint(1, max_weight)
                    adjacency_matrix[i, j] = weight
                    adjacency_matrix[j, i] = weight

        partition = algorithm(adjacency_matrix)  # in a separate process, given only the matrix
        if not is_list_or_1d_array_of_0_1(partition, length=n_nodes):
            continue  # scores 0
        cut_weight = sum(adjacency_matrix[i, j] for i in range(n_nodes)
                         for j in range(i+1, n_nodes) if partition[i] != partition[j])
        total_weight = adjacency_matrix.sum() / 2
        # reference: best of {starts} random starts of 1-flip local search, run by the utility
        reference_cut = local_search_cut(adjacency_matrix)
        score = (cut_weight - total_weight / 2) / (reference_cut - total_weight / 2)
        total += min(1.0, max(0.0, score)) / n_tests
    return total
'''


def cut_weight(adjacency: np.ndarray, labels: np.ndarray) -> float:
    differ = labels[:, None] != labels[None, :]
    return float(adjacency[differ].sum() / 2)


def local_search_cut(adjacency: np.ndarray, rng: np.random.Generator, starts: int) -> float:
    """Best cut over `starts` random labellings, each improved by flipping the node with the
    largest gain until no flip gains."""
    n = len(adjacency)
    best = 0.0
    for _ in range(starts):
        side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        # gain of flipping v = (weight to own side) - (weight to the other side)
        gain = side * (adjacency @ side)
        while True:
            v = int(np.argmax(gain))
            if gain[v] <= 1e-9:
                break
            side[v] = -side[v]
            gain = side * (adjacency @ side)
        best = max(best, cut_weight(adjacency, side > 0))
    return best


@dataclass(frozen=True)
class MaxCutProblem:
    name: str = "max_cut"
    sizes: dict[str, int] = field(
        default_factory=lambda: {"visible": 3, "validation": 30, "test": 40}
    )
    cpu_seconds: float = 0.1
    min_nodes: int = 50
    max_nodes: int = 200
    starts: int = 3

    def generate(self, rng: np.random.Generator) -> Instance:
        n = int(rng.integers(self.min_nodes, self.max_nodes + 1))
        upper = np.triu(rng.random((n, n)) < 0.4, k=1) * rng.integers(1, 11, (n, n))
        adjacency = (upper + upper.T).astype(np.float64)
        reference = local_search_cut(adjacency, rng, self.starts)
        return Instance(args=[adjacency], key=(adjacency, reference))

    def judge(self, instance: Instance, output: Any) -> Verdict:
        adjacency, reference = instance.key
        labels = binary_vector(output, len(adjacency), "partition")
        half = adjacency.sum() / 4  # W/2 with W = adjacency.sum() / 2
        gain = (cut_weight(adjacency, labels) - half) / (reference - half)
        return Verdict(min(1.0, max(0.0, gain)))


def max_cut_task() -> Task:
    problem = MaxCutProblem()
    return Task(
        name=problem.name,
        description=(
            "Weighted Max-Cut: label every node of a random graph (50-200 nodes, edge "
            "probability 0.4, integer weights 1-10) 0 or 1 to maximise the weight of edges "
            "between the two sides. Score per instance: (cut - W/2) / (reference cut - W/2), "
            "clipped to [0, 1], where W is the total edge weight (W/2 is a random labelling's "
            "expected cut) and the reference is the utility's own local search."
        ),
        seed_solution=SEED,
        entry_point="algorithm",
        signature="algorithm(adjacency_matrix) -> partition",
        visible_text=VISIBLE_TEXT.format(
            n_visible=problem.sizes["visible"],
            starts=problem.starts,
            cpu_ms=round(problem.cpu_seconds * 1000),
            allowance_ms=round(CPU_ALLOWANCE * 1000),
        ),
        scorer=InstanceScorer(problem, "algorithm"),
    )
