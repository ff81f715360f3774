# expect: ok
# event: budget_exceeded
# Class 2: a batch of 300,000 messages in one call (3 MB of JSON, under the line cap).
def improve_algorithm(initial_solution, utility, language_model):
    try:
        language_model.batch_prompt("expert", ["improve"] * 300_000)
    except Exception:
        pass
    return initial_solution
