# expect: ok
# event: utility_error lm_error
# Class 6: candidate sources of 2 MB for the utility and prompts of 1 MB for the model (each
# would be stored with every call: evaluations, the LM cache).
def improve_algorithm(initial_solution, utility, language_model):
    refused = 0
    for _ in range(10):
        try:
            utility("# padding\n" * 200_000 + initial_solution)
        except Exception:
            refused += 1
    for _ in range(3):
        try:
            language_model.prompt("expert", "x" * (1 << 20))
        except Exception:
            refused += 1
    return initial_solution + f"\n# refused {refused}"
