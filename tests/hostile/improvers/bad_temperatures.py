# expect: ok
# event: lm_error
# Class 6: NaN, infinite, negative, huge and textual temperatures, none of which may reach a model.
def improve_algorithm(initial_solution, utility, language_model):
    refused = 0
    for temperature in (float("nan"), float("inf"), -1.0, 1e9, "hot"):
        try:
            language_model.prompt("expert", "improve", temperature=temperature)
        except Exception:
            refused += 1
    return initial_solution + f"\n# refused {refused}"
