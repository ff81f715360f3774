# expect: ok
# Returns whatever secrets it can see as its "solution": there must be none.
import os


def improve_algorithm(initial_solution, utility, language_model):
    return repr({k: v for k, v in os.environ.items() if "KEY" in k or "TOKEN" in k})
