"""Scores a 2-D function minimiser by how close its points get to the global minimum.

Written the way OpenEvolve evaluators usually are: a cascade (evaluate_stage1 is one quick
trial, evaluate_stage2 the full test), a thread-based timeout around every call of the program,
and an EvaluationResult with artifacts. The program searches with an unseeded generator, so
the score of one program varies from evaluation to evaluation (config.yaml: stop.repeats).

combined_score = mean over TRIALS runs of exp(-(f(x, y) - F_MIN)): 1 at the global minimum,
a factor e lower per unit of excess; a run that fails, times out or leaves [-5, 5]^2 scores 0.
"""

import concurrent.futures
import importlib.util
import math

from openevolve.evaluation_result import EvaluationResult

F_MIN = -1.5187  # global minimum of f on [-5, 5]^2 (a 4001 x 4001 grid search)
TRIALS = 10
TRIAL_TIMEOUT_S = 5


def f(x, y):
    return math.sin(x) * math.cos(y) + math.sin(x * y) + (x * x + y * y) / 20


def run_with_timeout(func, timeout_seconds=TRIAL_TIMEOUT_S):
    """Call func() in a worker thread; TimeoutError if it takes longer than timeout_seconds."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return executor.submit(func).result(timeout=timeout_seconds)
    except concurrent.futures.TimeoutError:
        raise TimeoutError(f"run_search took more than {timeout_seconds} s") from None
    finally:
        executor.shutdown(wait=False)


def load(program_path):
    spec = importlib.util.spec_from_file_location("program", program_path)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    return program


def trial(program):
    """(score, value, note) of one run: the point is re-scored here, its claimed value ignored."""
    try:
        x, y, _ = run_with_timeout(program.run_search)
        x, y = float(x), float(y)
    except Exception as exc:  # noqa: BLE001 - a failing program scores 0, with the reason kept
        return 0.0, None, f"{type(exc).__name__}: {exc}"
    if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= 5 and abs(y) <= 5):
        return 0.0, None, f"point ({x}, {y}) is outside [-5, 5]^2"
    value = f(x, y)
    return math.exp(-max(0.0, value - F_MIN)), value, ""


def evaluate_stage1(program_path):
    """One quick trial: does the program run and return a valid point at all?"""
    score, value, note = trial(load(program_path))
    return EvaluationResult(
        metrics={"runs_successfully": 1.0 if value is not None else 0.0, "value_score": score},
        artifacts={"stage1": note or f"f = {value:.4f}"},
    )


def evaluate_stage2(program_path):
    return evaluate(program_path)


def evaluate(program_path):
    program = load(program_path)
    results = [trial(program) for _ in range(TRIALS)]
    values = [v for _, v, _ in results if v is not None]
    notes = sorted({n for _, _, n in results if n})
    return EvaluationResult(
        metrics={
            "combined_score": sum(s for s, _, _ in results) / TRIALS,
            "best_value": min(values) if values else float("nan"),
            "reliability": len(values) / TRIALS,
        },
        artifacts={"failures": "; ".join(notes)} if notes else {},
    )
