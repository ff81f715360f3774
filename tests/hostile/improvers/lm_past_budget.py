# expect: ok
# event: budget_exceeded
# Keeps calling the LM after its budget is spent, swallowing the errors.
def improve_algorithm(initial_solution, utility, language_model):
    errors = 0
    for _ in range(10):
        try:
            language_model.batch_prompt("expert", ["more"])
        except Exception:
            errors += 1
    return initial_solution + f"\n# errors={errors}"
