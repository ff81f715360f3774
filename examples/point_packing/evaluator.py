"""Scores a point spreading: the smallest pairwise distance of 8 points in the unit square.

combined_score = min_distance / 0.5176 (the best known value for 8 points), clipped to [0, 1].
Points must be an array of shape (8, 2) with every coordinate in [0, 1]; anything else scores 0.
"""

import importlib.util

import numpy as np

N_POINTS = 8
BEST_KNOWN = 0.517638  # optimal separation of 8 points in a unit square


def evaluate(program_path):
    spec = importlib.util.spec_from_file_location("program", program_path)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    points = np.asarray(program.run(), dtype=float)
    if points.shape != (N_POINTS, 2) or not np.all((points >= 0) & (points <= 1)):
        return {"combined_score": 0.0, "valid": 0.0}
    gaps = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)
    min_distance = float(gaps[np.triu_indices(N_POINTS, k=1)].min())
    return {
        "combined_score": min(1.0, min_distance / BEST_KNOWN),
        "min_distance": min_distance,
        "valid": 1.0,
    }
