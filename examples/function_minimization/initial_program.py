"""Find the global minimum of a bumpy 2-D function with a search algorithm."""

import numpy as np


# EVOLVE-BLOCK-START
def search_algorithm(iterations=100, bounds=(-5, 5)):
    """Random search: sample points uniformly and keep the best one."""
    rng = np.random.default_rng()
    best_x, best_y = rng.uniform(bounds[0], bounds[1], size=2)
    best_value = evaluate_function(best_x, best_y)
    for _ in range(iterations):
        x, y = rng.uniform(bounds[0], bounds[1], size=2)
        value = evaluate_function(x, y)
        if value < best_value:
            best_x, best_y, best_value = x, y, value
    return best_x, best_y, best_value


# EVOLVE-BLOCK-END


def evaluate_function(x, y):
    """The function to minimise: several local minima, global minimum about -1.519."""
    return np.sin(x) * np.cos(y) + np.sin(x * y) + (x**2 + y**2) / 20


def run_search():
    x, y, value = search_algorithm()
    return x, y, value
