from helpers import extract_code


def improve_algorithm(initial_solution, utility, language_model):
    """Baseline: improve the best solution so far, one LM call after another, within budget."""
    expertise = (
        "You are an expert computer science researcher and programmer, especially skilled at"
        " optimizing algorithms."
    )
    best_solution, best_score = initial_solution, utility(initial_solution)
    for _ in range(language_model.budget):
        remaining = utility.budget - utility.uses
        n_messages = min(language_model.max_responses_per_call, remaining)
        if n_messages <= 0:
            break
        message = f"""Improve the following solution (its score is {best_score:.3f}):
```python
{best_solution}
```

You will be evaluated based on this score function:
```python
{utility.str}
```

Return an improved solution. First, propose an idea, then implement it."""
        responses = language_model.batch_prompt(expertise, [message] * n_messages, temperature=0.7)
        for candidate in extract_code(responses):
            if not candidate:
                continue
            score = utility(candidate)
            if score > best_score:
                best_solution, best_score = candidate, score
    return best_solution
