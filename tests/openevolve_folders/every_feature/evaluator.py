"""Every feature at once: EvaluationResult with artifacts, a subprocess with a timeout (stage 1),
a thread-pool timeout (stage 2), a cascade and a combined_score above 1 (2 at the target, 42).
Deterministic, so OpenEvolve and stop must give the very same fitness."""

import concurrent.futures
import importlib.util
import subprocess
import sys

from openevolve.evaluation_result import EvaluationResult


def load(path):
    spec = importlib.util.spec_from_file_location("program", path)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    return program


def evaluate_stage1(path):
    """Run the program in its own process: does it print a number?"""
    code = f"import runpy; print(float(runpy.run_path({path!r})['run']()))"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=10
        )
        value = float(done.stdout)
    except (subprocess.TimeoutExpired, ValueError) as exc:
        return EvaluationResult(metrics={"runs": 0.0}, artifacts={"stage1": repr(exc)})
    return EvaluationResult(
        metrics={"runs": 1.0, "closeness": 1 / (1 + abs(value - 42))},
        artifacts={"stage1": f"printed {value}"},
    )


def evaluate_stage2(path):
    value = concurrent.futures.ThreadPoolExecutor(1).submit(load(path).run).result(timeout=10)
    if value > 1000:
        raise ValueError(f"{value} is absurd")
    return EvaluationResult(
        metrics={"combined_score": 2 / (1 + abs(value - 42) / 10)},
        artifacts={"stage2": "thread pool ran it"},
    )


def evaluate(path):
    return evaluate_stage2(path)
