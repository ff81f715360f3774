"""Scores a 2-D function minimiser: how close the point it returns gets to the global minimum.

combined_score = mean over 5 runs of exp(-(f(x, y) - F_MIN)), so the global minimum scores 1 and
every unit of excess value costs a factor e; a run that fails or leaves [-5, 5]^2 scores 0.
"""

import importlib.util
import math

F_MIN = -1.5187  # global minimum of f on [-5, 5]^2 (a 4001 x 4001 grid search)
RUNS = 5


def f(x, y):
    return math.sin(x) * math.cos(y) + math.sin(x * y) + (x * x + y * y) / 20


def evaluate(program_path):
    spec = importlib.util.spec_from_file_location("program", program_path)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    scores, values = [], []
    for _ in range(RUNS):
        try:
            x, y, _ = program.run_search()
            x, y = float(x), float(y)
        except Exception:
            scores.append(0.0)
            continue
        if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= 5 and abs(y) <= 5):
            scores.append(0.0)
            continue
        value = f(x, y)  # recomputed here: the program's own claim of its value is ignored
        values.append(value)
        scores.append(math.exp(-max(0.0, value - F_MIN)))
    best = min(values) if values else float("nan")
    return {"combined_score": sum(scores) / RUNS, "best_value": best}
