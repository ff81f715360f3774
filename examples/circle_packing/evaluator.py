"""Scores a circle packing: the sum of the radii of 12 disjoint circles inside the unit square.

Written the way many OpenEvolve evaluators are: the program runs in its own Python process
(`subprocess.run([sys.executable, ...], timeout=...)`), so a crash or an endless loop cannot
take the evaluator down; the result is an EvaluationResult whose artifacts keep the program's
stderr and the reason a packing was rejected.

combined_score = sum of radii of a valid packing (1.5 for the initial 4 x 3 grid; it is not
capped at 1), 0 for an invalid one: circles must lie inside [0, 1]^2 and must not overlap.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from openevolve.evaluation_result import EvaluationResult

N_CIRCLES = 12
RUN_TIMEOUT_S = 20
TOLERANCE = 1e-9

RUNNER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("program", sys.argv[1])
program = importlib.util.module_from_spec(spec)
spec.loader.exec_module(program)
centers, radii = program.run_packing()
print(json.dumps({"centers": [[float(c) for c in p] for p in centers],
                  "radii": [float(r) for r in radii]}))
"""


def run_program(program_path):
    """(centers, radii, stderr) from the program run in a subprocess; raises on failure."""
    with tempfile.TemporaryDirectory() as scratch:
        runner = os.path.join(scratch, "run_packing.py")
        with open(runner, "w") as f:
            f.write(RUNNER)
        done = subprocess.run(
            [sys.executable, runner, program_path],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-1000:] or f"exit code {done.returncode}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return np.array(out["centers"], dtype=float), np.array(out["radii"], dtype=float), done.stderr


def problems(centers, radii):
    """Why the packing is invalid, or "" when it is valid."""
    if centers.shape != (N_CIRCLES, 2) or radii.shape != (N_CIRCLES,):
        return f"expected {N_CIRCLES} centres and radii, got {centers.shape} and {radii.shape}"
    if not (np.all(np.isfinite(centers)) and np.all(np.isfinite(radii))):
        return "non-finite centre or radius"
    if np.any(radii < 0):
        return "negative radius"
    low, high = centers - radii[:, None], centers + radii[:, None]
    if np.any(low < -TOLERANCE) or np.any(high > 1 + TOLERANCE):
        return "a circle sticks out of the unit square"
    gaps = np.linalg.norm(centers[:, None] - centers[None, :], axis=-1)
    reach = radii[:, None] + radii[None, :]
    i, j = np.triu_indices(N_CIRCLES, k=1)
    overlap = reach[i, j] - gaps[i, j]
    if np.any(overlap > TOLERANCE):
        k = int(np.argmax(overlap))
        return f"circles {i[k]} and {j[k]} overlap by {overlap[k]:.3g}"
    return ""


def evaluate(program_path):
    try:
        centers, radii, stderr = run_program(program_path)
    except subprocess.TimeoutExpired:
        return EvaluationResult(
            metrics={"combined_score": 0.0, "valid": 0.0},
            artifacts={"failure": f"the program ran longer than {RUN_TIMEOUT_S} s"},
        )
    except Exception as exc:  # noqa: BLE001 - a failing program scores 0, with the reason kept
        return EvaluationResult(
            metrics={"combined_score": 0.0, "valid": 0.0},
            artifacts={"failure": f"{type(exc).__name__}: {exc}"},
        )
    reason = problems(centers, radii)
    total = float(np.sum(radii)) if not reason else 0.0
    artifacts = {"stderr": stderr[-1000:]} if stderr.strip() else {}
    if reason:
        artifacts["failure"] = reason
    return EvaluationResult(
        metrics={"combined_score": total, "sum_radii": total, "valid": 0.0 if reason else 1.0},
        artifacts=artifacts,
    )
