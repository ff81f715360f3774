# expect: ok
# event: budget_exceeded
# Class 2: a batch of 40,000 messages in one call (under the RPC caps: the proxy refuses it).
def improve_algorithm(initial_solution, utility, language_model):
    try:
        language_model.batch_prompt("expert", ["improve"] * 40_000)
    except Exception:
        pass
    return initial_solution
