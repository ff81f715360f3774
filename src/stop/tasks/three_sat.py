"""Random 3-SAT with a planted solution (a STOP transfer task).

n from 5 to 50 variables, 4n clauses of 3 distinct variables, each clause kept only if the
planted assignment satisfies it, so every formula is satisfiable. Score: the fraction of
formulas whose returned assignment satisfies every clause. The planted assignment never leaves
the host (scoring only checks the clauses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stop.tasks.base import Task
from stop.tasks.evaluate import CPU_ALLOWANCE, Instance, InstanceScorer, Verdict
from stop.tasks.validate import binary_vector

SEED = """\
import random

def random_walk_solver(formula, max_iter, p):
    n = max(abs(lit) for clause in formula for lit in clause)
    assignments = [False] * (n + 1)

    for _ in range(max_iter):
        unsatisfied_clauses = [clause for clause in formula if not any(assignments[abs(lit)] == (lit > 0) for lit in clause)]
        if not unsatisfied_clauses:
            return assignments
        clause_to_flip = random.choice(unsatisfied_clauses)
        if random.random() < p:
            lit_to_flip = random.choice(clause_to_flip)
        else:
            lit_to_flip = min(clause_to_flip, key=lambda lit: sum(assignments[abs(lit)] == (lit > 0) for clause in formula if lit in clause))
        assignments[abs(lit_to_flip)] = not assignments[abs(lit_to_flip)]

    return None

def algorithm(formula):
    return random_walk_solver(formula, max_iter=1000, p=0.4)
"""  # noqa: E501

VISIBLE_TEXT = '''\
import numpy as np
import random

def generate_3sat_formula(n, m):
    """Generate a random satisfiable 3-SAT formula with n variables and m clauses."""
    formula = []
    valid_assignment = [False] + [random.random() < 0.5 for _ in range(n)]
    while len(formula) < m:
        clause = random.sample(range(1, n + 1), 3)
        clause = [var if random.random() < 0.5 else -var for var in clause]
        # Check if the clause is satisfied by the valid assignment
        if any((valid_assignment[abs(lit)] > 0) == (lit > 0) for lit in clause):
            formula.append(clause)
    return formula

def check_3sat_formula(formula, assignment):
    return all(any((assignment[abs(lit)] > 0) == (lit > 0) for lit in clause) for clause in formula)

def utility(algorithm_str: str):
    """
    Implements the Random 3-SAT problem with n variables and m clauses.
    Returns the fraction of formulas solved successfully within the time limit.
    `algorithm` may use Python's standard library and numpy, and nothing else: no other
    packages are installed, and threads, subprocesses, files and the network are unavailable.
    Each call of `algorithm` runs in a fresh, isolated process and may use at most
    {cpu_ms} milliseconds of CPU time (plus {allowance_ms} ms for process overhead); over that,
    or on any exception, the formula counts as unsolved.
    Your algorithm function must be named 'algorithm' and take a single argument, formula,
    which is a list of m clauses, each a list of exactly 3 non-zero integer literals
    (variable v is true for literal v, false for literal -v; variables are 1..n where n is
    the largest variable in the formula). It must return exactly a list or 1-D numpy array of
    length n + 1 with values True/False or 0/1 (index 0 is ignored); anything else, such as
    None, counts as unsolved.
    """
    n_tests = {n_visible}
    solved_count = 0
    for test_idx in range(n_tests):
        n = random.randint(5, 50)  # Number of variables
        m = int(4 * n)  # Number of clauses
        formula = generate_3sat_formula(n, m)
        assignment = algorithm(formula)  # in a separate process, given only the formula
        if is_list_or_1d_array_of_0_1(assignment, length=n + 1) and check_3sat_formula(formula, assignment):
            solved_count += 1
    return solved_count / n_tests
'''  # noqa: E501


def planted_formula(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """m clauses (an (m, 3) array of literals) over variables 1..n, all satisfied by a random
    planted assignment."""
    planted = rng.random(n + 1) < 0.5
    clauses: list[np.ndarray] = []
    count = 0
    while count < m:
        # 3 distinct variables per clause: the first 3 of a random ordering of 1..n.
        variables = np.argsort(rng.random((2 * m, n)), axis=1)[:, :3] + 1
        signs = np.where(rng.random((2 * m, 3)) < 0.5, 1, -1)
        literals = variables * signs
        satisfied = (planted[variables] == (signs > 0)).any(axis=1)
        kept = literals[satisfied][: m - count]
        clauses.append(kept)
        count += len(kept)
    return np.concatenate(clauses)


def satisfies(formula: np.ndarray, assignment: np.ndarray) -> bool:
    values = assignment[np.abs(formula)] > 0
    return bool(((values == (formula > 0)).any(axis=1)).all())


@dataclass(frozen=True)
class ThreeSATProblem:
    name: str = "three_sat"
    sizes: dict[str, int] = field(
        default_factory=lambda: {"visible": 10, "validation": 30, "test": 30}
    )
    cpu_seconds: float = 0.1
    min_n: int = 5
    max_n: int = 50

    def generate(self, rng: np.random.Generator) -> Instance:
        n = int(rng.integers(self.min_n, self.max_n + 1))
        formula = planted_formula(rng, n, 4 * n)
        # Plain lists of Python ints, as in the paper: the candidate gets no numpy surprises.
        return Instance(args=[formula.tolist()], key=formula)

    def judge(self, instance: Instance, output: Any) -> Verdict:
        formula = instance.key
        n = int(np.abs(formula).max())
        assignment = binary_vector(output, n + 1, "assignment")
        return Verdict(1.0 if satisfies(formula, assignment) else 0.0)


def three_sat_task() -> Task:
    problem = ThreeSATProblem()
    return Task(
        name=problem.name,
        description=(
            "Random 3-SAT: formulas with n = 5-50 variables and 4n clauses of 3 distinct "
            "variables, generated around a planted assignment so each is satisfiable. Return a "
            "satisfying assignment (a list of n+1 booleans, index 0 unused) within 100 ms of "
            "CPU time. Score: the fraction of formulas solved."
        ),
        seed_solution=SEED,
        entry_point="algorithm",
        signature="algorithm(formula) -> assignment",
        visible_text=VISIBLE_TEXT.format(
            n_visible=problem.sizes["visible"],
            cpu_ms=round(problem.cpu_seconds * 1000),
            allowance_ms=round(CPU_ALLOWANCE * 1000),
        ),
        scorer=InstanceScorer(problem, "algorithm"),
    )
