# expect: ok
# event: proxy_misuse events_capped
# Class 6: 20,000 reaches for attributes the proxies do not offer (each one an event).
def improve_algorithm(initial_solution, utility, language_model):
    for i in range(20_000):
        try:
            getattr(language_model, f"secret_{i}")
        except Exception:
            pass
    return initial_solution
