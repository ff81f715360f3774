"""Pack 12 circles into the unit square so that the sum of their radii is as large as possible."""

import numpy as np

N_CIRCLES = 12


# EVOLVE-BLOCK-START
def construct_packing(n):
    """A 4 x 3 grid of equal circles, each touching its neighbours: sum of radii 1.5."""
    cols, rows = 4, 3
    centers = np.array(
        [[(i + 0.5) / cols, (j + 0.5) / rows] for j in range(rows) for i in range(cols)]
    )[:n]
    radii = np.full(n, min(0.5 / cols, 0.5 / rows))
    return centers, radii


# EVOLVE-BLOCK-END


def run_packing():
    """(centers, radii): an (n, 2) array of circle centres and n radii."""
    return construct_packing(N_CIRCLES)
