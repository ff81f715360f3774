# expect: ok
# event: budget_exceeded
# Class 2: asks for 10**8 responses in one call (the host must refuse before building anything).
def improve_algorithm(initial_solution, utility, language_model):
    try:
        language_model.prompt("expert", "improve", n_responses=10**8)
    except Exception as exc:  # BudgetExceeded
        return initial_solution + f"\n# refused: {type(exc).__name__}"
    return initial_solution
