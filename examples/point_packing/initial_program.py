"""Spread 8 points in the unit square so that the closest pair is as far apart as possible."""

import numpy as np

N_POINTS = 8


# EVOLVE-BLOCK-START
def place_points(n):
    """A 3x3 grid with its last cell dropped: a simple, regular start."""
    cells = [(i, j) for i in range(3) for j in range(3)][:n]
    return np.array([[(i + 0.5) / 3, (j + 0.5) / 3] for i, j in cells])


# EVOLVE-BLOCK-END


def run():
    return place_points(N_POINTS)
