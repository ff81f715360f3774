"""The six built-in tasks: each utility discriminates, is deterministic, and cannot be gamed.

Reference solutions live here, never in the package, so improvers are never shown them. Tests
use the first few instances of a split (`instances=`) to stay fast; the definition is the same.
"""

from __future__ import annotations

import pytest

from stop.errors import TaskError
from stop.tasks import SPLITS, Score, Task, get_task, list_tasks


def test_sandboxed_code_can_import_numpy_random() -> None:
    """The seeds of LPN and parity use numpy.random inside the sandbox."""
    from stop.sandbox import Limits, default_sandbox

    probe = "def f():\n    import numpy.random\n    return 1\n"
    (result,) = default_sandbox().call_many(probe, "f", [[]], Limits(cpu_seconds=2.0))
    assert result.ok, result.error


NAMES = ["lpn", "parity", "string_grid_distance", "quadratic_assignment", "three_sat", "max_cut"]

# LPN: the subset (of all 2^10) that disagrees with the fewest training labels.
LPN_REFERENCE = """
import numpy as np
def algorithm(train_samples, train_parity, test_samples):
    subsets = (np.arange(1024)[:, None] >> np.arange(10)) & 1
    errors = ((train_samples @ subsets.T) % 2 != train_parity[:, None]).sum(axis=0)
    best = subsets[int(np.argmin(errors))]
    return (test_samples @ best) % 2
"""

# Noiseless parity: Gaussian elimination over GF(2).
PARITY_REFERENCE = """
import numpy as np
def algorithm(train_samples, train_parity, test_samples):
    a = np.concatenate([train_samples, train_parity[:, None]], axis=1) % 2
    rows, cols = a.shape
    pivots, r = [], 0
    for c in range(cols - 1):
        hit = [i for i in range(r, rows) if a[i, c]]
        if not hit:
            continue
        a[[r, hit[0]]] = a[[hit[0], r]]
        for i in range(rows):
            if i != r and a[i, c]:
                a[i] ^= a[r]
        pivots.append(c)
        r += 1
    x = np.zeros(cols - 1, dtype=int)
    for i, c in enumerate(pivots):
        x[c] = a[i, -1]
    return (test_samples @ x) % 2
"""

# String grid: dynamic programming over (position, last char) -> reachable partial distances.
STRING_GRID_REFERENCE = """
def algorithm(t, dist):
    n = len(t)
    # reach[i][c] = {partial distance: previous char} for s[:i+1] ending in c
    reach = [dict() for _ in range(n)]
    for c in "AB":
        reach[0][c] = {int(c != t[0]): None}
    for i in range(1, n):
        for c in "AB":
            options = {}
            for p in "AB":
                for d in reach[i - 1][p]:
                    options.setdefault(d + (c != t[i]) + (c != p), p)
            reach[i][c] = options
    own = sum(a != b for a, b in zip(t, t[1:]))
    for c in "AB":
        if dist - own in reach[n - 1][c]:
            s, d = [c], dist - own
            for i in range(n - 1, 0, -1):
                p = reach[i][c][d]
                d -= (c != t[i]) + (c != p)
                s.append(p)
                c = p
            return "".join(reversed(s))
    return t
"""

# QAP: multi-start best-improvement 2-swap local search, vectorised.
QAP_REFERENCE = """
import numpy as np
def algorithm(F, D, P):
    n = len(F)
    rng = np.random.default_rng(0)
    i1, i2 = np.triu_indices(n, k=1)
    k = np.arange(len(i1))
    def costs(perms):
        q = np.einsum("ij,kij->k", F, D[perms[:, :, None], perms[:, None, :]])
        return q - 0.5 * P[np.arange(n)[None, :], perms].sum(axis=1)
    best, best_cost = None, np.inf
    for _ in range(25):
        a = rng.permutation(n)
        current = costs(a[None])[0]
        while True:
            cand = np.repeat(a[None], len(i1), axis=0)
            cand[k, i1], cand[k, i2] = a[i2], a[i1]
            c = costs(cand)
            j = int(np.argmin(c))
            if c[j] >= current - 1e-12:
                break
            a, current = cand[j], c[j]
        if current < best_cost:
            best, best_cost = a, current
    return [int(x) for x in best]
"""

# 3-SAT: WalkSAT (noise 0.5) with break counts and restarts.
THREE_SAT_REFERENCE = """
import random
def algorithm(formula):
    n = max(abs(l) for c in formula for l in c)
    occurs = [[] for _ in range(n + 1)]
    for ci, c in enumerate(formula):
        for l in c:
            occurs[abs(l)].append(ci)
    rnd = random.Random(1)
    for _ in range(20):
        val = [rnd.random() < 0.5 for _ in range(n + 1)]
        true_count = [sum(val[abs(l)] == (l > 0) for l in c) for c in formula]
        unsat = {i for i, k in enumerate(true_count) if k == 0}
        for _ in range(2000):
            if not unsat:
                return val
            c = formula[rnd.choice(tuple(unsat))]
            def breaks(v):
                return sum(1 for ci in occurs[v] if true_count[ci] == 1 and
                           any(abs(l) == v and val[v] == (l > 0) for l in formula[ci]))
            if rnd.random() < 0.5:
                v = abs(rnd.choice(c))
            else:
                v = min((abs(l) for l in c), key=breaks)
            val[v] = not val[v]
            for ci in occurs[v]:
                k = sum(val[abs(l)] == (l > 0) for l in formula[ci])
                true_count[ci] = k
                if k == 0:
                    unsat.add(ci)
                else:
                    unsat.discard(ci)
    return val
"""

# Max-Cut: best-gain 1-flip local search from a few random starts.
MAX_CUT_REFERENCE = """
import numpy as np
def algorithm(adjacency_matrix):
    A = adjacency_matrix
    rng = np.random.default_rng(0)
    best, best_cut = None, -1.0
    for _ in range(4):
        side = np.where(rng.random(len(A)) < 0.5, 1.0, -1.0)
        while True:
            gain = side * (A @ side)
            v = int(np.argmax(gain))
            if gain[v] <= 1e-9:
                break
            side[v] = -side[v]
        cut = (A.sum() - side @ A @ side) / 4
        if cut > best_cut:
            best, best_cut = side, cut
    return [int(s > 0) for s in best]
"""

REFERENCES = {
    "lpn": (LPN_REFERENCE, 0.9),
    "parity": (PARITY_REFERENCE, 0.99),
    "string_grid_distance": (STRING_GRID_REFERENCE, 0.99),
    "quadratic_assignment": (QAP_REFERENCE, 0.9),
    "three_sat": (THREE_SAT_REFERENCE, 0.9),
    "max_cut": (MAX_CUT_REFERENCE, 0.95),
}

# The seed's test-split score lies in this band (see docs/tasks.md for the measured values).
SEED_BANDS = {
    "lpn": (0.3, 0.7),
    "parity": (0.3, 0.7),
    "string_grid_distance": (0.25, 0.65),
    "quadratic_assignment": (0.5, 1.0),
    "three_sat": (0.3, 1.0),
    "max_cut": (0.1, 1.0),
}


def test_the_six_builtin_tasks_are_listed_in_paper_order() -> None:
    assert [t.name for t in list_tasks()] == NAMES


def test_unknown_task_name_raises_task_error_listing_the_names() -> None:
    with pytest.raises(TaskError, match="lpn, parity, string_grid_distance"):
        get_task("sorting")


def test_unknown_split_raises_task_error() -> None:
    with pytest.raises(TaskError, match="visible, validation, test"):
        get_task("lpn").score("x = 1", split="train")


@pytest.mark.parametrize("name", NAMES)
def test_visible_text_states_the_cpu_limit_and_output_format(name: str) -> None:
    text = get_task(name).visible_text
    assert "milliseconds of CPU time" in text
    assert "exactly" in text


@pytest.mark.parametrize("name", NAMES)
def test_seed_solution_scores_in_its_documented_band(
    name: str,
) -> None:
    score = get_task(name).score(get_task(name).seed_solution, split="test", instances=10)
    low, high = SEED_BANDS[name]
    assert low <= score.value <= high, score


@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_scores_near_the_top(name: str) -> None:
    source, floor = REFERENCES[name]
    score = get_task(name).score(source, split="validation", instances=10)
    assert score.value >= floor, score


def test_same_seed_gives_the_same_visible_score() -> None:
    task = get_task("string_grid_distance")
    first = task.score(task.seed_solution, seed=7)
    assert task.score(task.seed_solution, seed=7) == first


def test_secret_split_scores_are_deterministic() -> None:
    task = get_task("quadratic_assignment")
    a = task.score(QAP_REFERENCE, split="validation", instances=3)
    assert task.score(QAP_REFERENCE, split="validation", instances=3).value == a.value


def _args(task: Task, split: str, seed: int | None = None, n: int = 5) -> list[str]:
    return [repr(i.args) for i in task.scorer.instances(split, seed, n)]


@pytest.mark.parametrize("name", NAMES)
def test_visible_split_draws_fresh_instances_unless_seeded(name: str) -> None:
    task = get_task(name)
    assert _args(task, "visible", None, 3) != _args(task, "visible", None, 3)
    assert _args(task, "visible", 11, 3) == _args(task, "visible", 11, 3)


@pytest.mark.parametrize("name", NAMES)
def test_validation_and_test_splits_are_disjoint(name: str) -> None:
    task = get_task(name)
    validation, test = _args(task, "validation"), _args(task, "test")
    assert validation == _args(task, "validation")
    assert not set(validation) & set(test)


def test_splits_are_the_three_documented_ones() -> None:
    assert SPLITS == ("visible", "validation", "test")


TRICKS = {
    "scalar_zero": "return 0",
    "scalar_one": "return 1",
    "numpy_scalar": "return np.int64(1)",
    "column_vector": "return np.zeros((len(test_samples), 1), dtype=int)",
    "row_matrix": "return np.zeros((1, len(test_samples)), dtype=int)",
    "one_short": "return [0] * (len(test_samples) - 1)",
    "tuple": "return tuple([0] * len(test_samples))",
    "string": "return '0' * len(test_samples)",
    "halves": "return [0.5] * len(test_samples)",
    "the_input": "return test_samples",
    "nested": "return [[0]] * len(test_samples)",
    "none": "return None",
}


@pytest.mark.parametrize("trick", TRICKS)
def test_output_shape_tricks_score_zero(trick: str) -> None:
    source = f"import numpy as np\ndef algorithm(a, b, test_samples):\n    {TRICKS[trick]}\n"
    score = get_task("lpn").score(source, seed=3)
    assert score.value == 0.0 and score.status == "invalid_output", score


def test_invalid_output_detail_names_the_expected_shape() -> None:
    source = "import numpy as np\ndef algorithm(a, b, t):\n    return np.zeros((20, 1))\n"
    detail = get_task("parity").score(source, seed=1).detail
    assert "1-D ndarray of length 20" in detail and "(20, 1)" in detail


def test_a_constant_partition_cuts_nothing_and_scores_zero() -> None:
    source = "def algorithm(adjacency_matrix):\n    return [0] * len(adjacency_matrix)\n"
    assert get_task("max_cut").score(source, seed=2).value == 0.0


def test_qap_rejects_a_non_permutation_and_float_indices() -> None:
    task = get_task("quadratic_assignment")
    repeated = "def algorithm(F, D, P):\n    return [0] * len(F)\n"
    floats = "def algorithm(F, D, P):\n    return [float(i) for i in range(len(F))]\n"
    assert task.score(repeated, seed=1).value == 0.0
    assert task.score(floats, seed=1).status == "invalid_output"


def test_over_the_cpu_limit_scores_zero_as_timeout() -> None:
    source = "def algorithm(t, dist):\n    while True:\n        pass\n"
    score = get_task("string_grid_distance").score(source, seed=1, instances=2)
    assert score.value == 0.0 and score.failures == {"timeout": 2}


def test_an_exception_scores_zero() -> None:
    source = "def algorithm(formula):\n    raise RuntimeError('no')\n"
    score = get_task("three_sat").score(source, seed=1, instances=2)
    assert score.value == 0.0 and score.status == "exception"


def test_printing_instead_of_returning_scores_zero() -> None:
    source = "def algorithm(t, dist):\n    print(t)\n"
    assert get_task("string_grid_distance").score(source, seed=1, instances=3).value == 0.0


def test_empty_source_scores_zero_without_running() -> None:
    assert get_task("lpn").score("") == Score(
        0.0, "invalid_source", "the solution is not Python source", 0, {"invalid_source": 1}
    )


# A candidate that hunts for the held-out labels: every 0/1 vector of the right length in the
# heap, every frame's locals and every module's globals. If any existed, copying it would score
# 1.0; there are none, so it falls back to guessing.
SNOOPER = """
import gc, sys
import numpy as np
def algorithm(train_samples, train_parity, test_samples):
    n = len(test_samples)
    def looks_like_labels(x):
        try:
            a = np.asarray(x)
            return a.shape == (n,) and set(np.unique(a).tolist()) <= {0, 1} and \\
                not any(a is y for y in (train_parity,))
        except Exception:
            return False
    candidates = [o for o in gc.get_objects() if looks_like_labels(o)]
    frame = sys._getframe()
    while frame is not None:
        candidates += [v for v in frame.f_locals.values() if looks_like_labels(v)]
        candidates += [v for v in frame.f_globals.values() if looks_like_labels(v)]
        frame = frame.f_back
    for module in list(sys.modules.values()):
        candidates += [v for v in vars(module).values() if looks_like_labels(v)]
    for c in candidates:
        return np.asarray(c, dtype=np.int64)
    return np.zeros(n, dtype=np.int64)
"""


def test_a_candidate_snooping_for_the_labels_finds_nothing() -> None:
    score = get_task("parity").score(SNOOPER, split="validation", instances=10)
    assert score.value < 0.75, score


# Regenerating the secret instances inside the candidate's process: `stop` is importable there,
# but the secret splits are seeded from a per-installation secret the candidate cannot read.
REGENERATOR = """
import numpy as np
def algorithm(train_samples, train_parity, test_samples):
    from stop.tasks import get_task
    scorer = get_task("parity").scorer
    for split in ("validation", "test"):
        for inst in scorer.instances(split, None):
            if np.array_equal(inst.args[2], test_samples):
                return inst.key
    return np.zeros(len(test_samples), dtype=np.int64)
"""


def test_a_candidate_regenerating_the_secret_instances_does_not_score_high() -> None:
    score = get_task("parity").score(REGENERATOR, split="validation", instances=5)
    assert score.value < 0.8, score


def test_public_api_is_pinned() -> None:
    import stop.tasks

    assert sorted(stop.tasks.__all__) == sorted(
        [
            "CPU_ALLOWANCE",
            "SPLITS",
            "Score",
            "Task",
            "get_task",
            "list_tasks",
            "load_task",
            "run_candidate",
        ]
    )
