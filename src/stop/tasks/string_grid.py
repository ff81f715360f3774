"""String grid distance (a STOP transfer task).

grid_dist(s, t) counts the positions where s and t differ plus the adjacent changes within s
and within t. Given t over {A, B} and a distance d that some s of the same length achieves,
return such an s. Exact: 1; otherwise 0.5 - |d' - d| / (6 len(t)), which lies in [0, 0.5].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stop.tasks.base import Task
from stop.tasks.evaluate import CPU_ALLOWANCE, Instance, InstanceScorer, Verdict
from stop.tasks.validate import Invalid

SEED = """\
def algorithm(t: str, dist: int):
    return t
"""

VISIBLE_TEXT = '''\
import random

def utility(algorithm_str: str):
    """Implements the str_grid_dist task. Returns a value between 0 and 1.
    `algorithm` may use Python's standard library and numpy, and nothing else: no other
    packages are installed, and threads, subprocesses, files and the network are unavailable.
    Each call of `algorithm` runs in a fresh, isolated process and may use at most
    {cpu_ms} milliseconds of CPU time (plus {allowance_ms} ms for process overhead); over that,
    or on any exception, the instance scores 0.
    `algorithm(t, dist)` gets a str t of 1 to 30 characters A and B and an int dist, and must
    return a str s with grid_dist(s, t) == dist (grid_dist is defined below).
    The output must be exactly a str of len(t) made only of the characters A and B;
    anything else scores 0 for that instance."""
    scores = []
    for _ in range({n_visible}):
        length = random.randint(1, 30)
        t = "".join(random.choice("AB") for _ in range(length))
        s = "".join(random.choice("AB") for _ in range(length))
        dist = grid_dist(s, t)
        scores.append(score_test(t, dist, algorithm))
    return sum(scores) / len(scores)

def grid_dist(s: str, t: str):
    assert isinstance(s, str) and isinstance(t, str) and len(s) == len(t) and set(s + t) <= set("AB")
    ans = sum(a != b for a, b in zip(s, t))
    ans += sum(a != b for a, b in zip(s, s[1:]))
    ans += sum(a != b for a, b in zip(t, t[1:]))
    return ans

def score_test(t: str, dist: int, find_at_dist: callable) -> float:
    try:
        s = find_at_dist(t, dist)  # in a separate process, given only t and dist
        d = grid_dist(s, t)
        if cpu_time_used > {cpu_s}:
            return 0.0
        if d == dist:
            return 1.0  # perfect!
        else:
            return 0.5 - abs(d - dist)/(6*len(t)) # between 0 and 0.5
    except:
        return 0.0  # error
'''  # noqa: E501


def grid_dist(s: str, t: str) -> int:
    """Differing positions plus adjacent changes within s and within t."""
    return (
        sum(a != b for a, b in zip(s, t, strict=True))
        + sum(a != b for a, b in zip(s, s[1:], strict=False))
        + sum(a != b for a, b in zip(t, t[1:], strict=False))
    )


@dataclass(frozen=True)
class StringGridProblem:
    name: str = "string_grid_distance"
    sizes: dict[str, int] = field(
        default_factory=lambda: {"visible": 10, "validation": 50, "test": 50}
    )
    cpu_seconds: float = 0.1
    max_length: int = 30

    def generate(self, rng: np.random.Generator) -> Instance:
        length = int(rng.integers(1, self.max_length + 1))
        t = "".join(rng.choice(["A", "B"], size=length))
        s = "".join(rng.choice(["A", "B"], size=length))
        dist = grid_dist(s, t)
        return Instance(args=[t, dist], key=(t, dist))

    def judge(self, instance: Instance, output: Any) -> Verdict:
        t, dist = instance.key
        if not isinstance(output, str):
            raise Invalid(f"expected a str of length {len(t)}, got {type(output).__name__}")
        if len(output) != len(t) or not set(output) <= {"A", "B"}:
            raise Invalid(f"expected a str of length {len(t)} over A and B, got {output[:40]!r}")
        got = grid_dist(output, t)
        if got == dist:
            return Verdict(1.0)
        return Verdict(max(0.0, 0.5 - abs(got - dist) / (6 * len(t))))


def string_grid_task() -> Task:
    problem = StringGridProblem()
    return Task(
        name=problem.name,
        description=(
            "String grid distance: grid_dist(s, t) counts the positions where two equal-length "
            "strings over {A, B} differ plus the adjacent changes within s and within t. Given "
            "t (length 1-30) and a distance d that some s achieves, return such an s. An exact "
            "answer scores 1, otherwise 0.5 - |d'-d|/(6 len(t)). Returning t scores about 0.44."
        ),
        seed_solution=SEED,
        entry_point="algorithm",
        signature="algorithm(t: str, dist: int) -> str",
        visible_text=VISIBLE_TEXT.format(
            n_visible=problem.sizes["visible"],
            cpu_ms=round(problem.cpu_seconds * 1000),
            cpu_s=problem.cpu_seconds,
            allowance_ms=round(CPU_ALLOWANCE * 1000),
        ),
        scorer=InstanceScorer(problem, "algorithm"),
    )
