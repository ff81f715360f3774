from helpers import extract_code


def improve_algorithm(initial_solution, utility, language_model):
    """Baseline: ask for one improved solution and return it without checking it."""
    expertise = (
        "You are an expert computer science researcher and programmer, especially skilled at"
        " optimizing algorithms."
    )
    message = f"""Improve the following solution:
```python
{initial_solution}
```

You will be evaluated based on this score function:
```python
{utility.str}
```

Return an improved solution. First, propose an idea, then implement it."""
    [response] = language_model.batch_prompt(expertise, [message], temperature=0.7)
    code = extract_code([response])[0]
    return code if code else initial_solution
