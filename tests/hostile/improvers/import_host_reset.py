# expect: ok
# Imports the host's modules to reset budgets: it only reaches its own fresh copies.
import gc


def improve_algorithm(initial_solution, utility, language_model):
    import stop.sandbox.improver as improver

    for obj in gc.get_objects():
        try:
            if hasattr(obj, "budget") and not isinstance(obj, type):
                obj.budget = 10**9
        except Exception:
            pass
    del improver
    for _ in range(5):
        utility(initial_solution)
    return initial_solution
