import ast
import importlib.util

from helpers import extract_code

# Generic directions, one per call, so successive calls explore different algorithms instead
# of paraphrases of the same one (small models copy what they are shown).
IDEAS = [
    "start from a simple, fast answer, then improve it with local search: repeatedly change one "
    "part of the answer when that makes it better, until nothing improves",
    "if the possible answers, or the hidden values the utility draws to build an instance, are "
    "few (for example all subsets of 10 items), try every one of them and keep the one that "
    "agrees best with the data the function is given",
    "the program must finish within the time limit on the largest inputs: make it much faster "
    "with numpy arrays and vectorised operations instead of Python loops",
    "use the whole time limit: keep the best answer so far and try many random variations of "
    "it in a loop, keeping any that is better",
    "find the mistakes the current program makes and fix them; keep what already works",
    "think about the mathematical structure of the problem and compute the answer directly",
]


def improve_algorithm(initial_solution, utility, language_model):
    """Best-first improvement for small models: short prompts that ask for the whole program
    once, a different idea per call, candidates checked and cleaned before they are scored,
    duplicates skipped, and a candidate re-scored before it replaces the best (the utility is
    noisy, so one lucky score must not hide real gains)."""
    entry = _entry_point(initial_solution, utility.str)
    helpers = _helpers(utility.str)
    programs = {_key(initial_solution): initial_solution}  # normalised program -> its source
    scores = {_key(initial_solution): [utility(initial_solution)]}  # -> its utility scores
    best = _key(initial_solution)

    def consider(candidate):
        """Score a new program; one that beats the best is scored again before replacing it.
        Returns its first score, or None when it was not scored (a duplicate, or no budget)."""
        nonlocal best
        key = _key(candidate)
        if key in scores or utility.uses >= utility.budget:
            return None
        programs[key], scores[key] = candidate, [utility(candidate)]
        if scores[key][0] > _mean(scores[best]) and utility.uses < utility.budget:
            scores[key].append(utility(candidate))
        if _mean(scores[key]) > _mean(scores[best]):
            best = key
        return scores[key][0]

    failed = None  # (program, why it failed) when the run gives feedback: worth one repair
    for round_index in range(language_model.budget):
        n_messages = min(language_model.max_responses_per_call, utility.budget - utility.uses)
        if n_messages <= 0:
            break
        idea = IDEAS[round_index % len(IDEAS)]
        # One prompt per call: its samples are drawn together from one evaluation of the
        # prompt (the embedded model batches them); the next call tries the next idea.
        # Half the samples see the best program, half start from scratch: small models shown
        # a program mostly return variations of it, however slow its design.
        shown = _prompt(programs[best], _mean(scores[best]), utility.str, entry, idea)
        fresh = _fresh_prompt(initial_solution, utility.str, entry, idea)
        messages = [fresh if i % 2 else shown for i in range(n_messages)]
        if failed and n_messages > 1:
            messages[-1] = _repair_prompt(*failed, utility.str, entry)
        failed = None
        responses = language_model.batch_prompt(_EXPERTISE, messages, temperature=0.8)
        for code in extract_code(responses):
            candidate = _clean(code, entry, helpers)  # None: it could not work: not scored
            if candidate is not None and consider(candidate) == 0:
                feedback = getattr(utility, "feedback", "")  # "" unless the run allows it
                failed = (candidate, feedback) if feedback else failed
    for variant in _constant_variants(programs[best], helpers):  # the utility budget left
        if utility.uses >= utility.budget:
            break
        consider(variant)
    return programs[best]


_EXPERTISE = (
    "You are an expert computer science researcher and programmer, especially skilled at"
    " optimizing algorithms."
)


def _prompt(program, score, utility_text, entry, idea):
    # The utility is quoted, not fenced, and the program comes last: small models copy the
    # last code block they were shown, and a fenced utility was copied instead of improved.
    return f"""How a program is scored (for reference only; do not copy or rewrite it):

{_quoted(_task_text(utility_text))}

The current program (score {score:.3f}):
```python
{program}
```

Write a new, better program. Idea: {idea}.
Only the Python standard library and numpy are available.
Reply with one ```python block that contains the new program only (imports and functions, no
tests, no utility), starting with:
```python
{_header(program, entry)}
```"""


def _fresh_prompt(initial_solution, utility_text, entry, idea):
    return f"""How a program is scored (for reference only; do not copy or rewrite it):

{_quoted(_task_text(utility_text))}

Write a program that scores as high as possible. Idea: {idea}.
Only the Python standard library and numpy are available.
Reply with one ```python block that contains the program only (imports and functions, no
tests, no utility), defining:
```python
{_signature(initial_solution, entry)}
```"""


def _signature(program, entry):
    """The entry point's `def` line(s), as the initial solution writes it."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return _header(program, entry)
    lines = program.split("\n")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry:
            head = "\n".join(lines[node.lineno - 1 : node.body[0].lineno - 1]).rstrip()
            return head or lines[node.lineno - 1]  # a one-line function
    return _header(program, entry)


def _task_text(utility_text):
    """The utility as a small model should see it: what it asks (the scoring function's
    docstring) and the helpers it defines, with the scoring function's body, which builds the
    instances, left out: small models copy that generator into their answer instead of
    solving the task. Text that is not Python is shown as it is."""
    try:
        tree = ast.parse(utility_text)
    except SyntaxError:
        return utility_text
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    named = [f for f in functions if "utility" in f.name] or functions[-1:]
    if not named or not ast.get_docstring(named[0]) or len(named[0].body) < 2:
        return utility_text
    main, lines = named[0], utility_text.split("\n")
    body_start = main.body[1].lineno
    kept = lines[: body_start - 1] + ["    ...  # draws the instances, calls algorithm, scores it"]
    return "\n".join(kept + lines[main.end_lineno :]).strip()


def _quoted(text):
    return "\n".join("    " + line for line in text.splitlines())


def _repair_prompt(program, feedback, utility_text, entry):
    return f"""How a program is scored (for reference only; do not copy or rewrite it):

{_quoted(_task_text(utility_text))}

This program failed:
```python
{program}
```

What went wrong: {feedback}

Fix the program. Only the Python standard library and numpy are available.
Reply with the complete fixed program in one ```python block, starting with:
```python
{_header(program, entry)}
```"""


def _mean(values):
    return sum(values) / len(values)


def _entry_point(source, utility_text):
    """The function the utility calls: the initial solution's top-level function named in the
    utility's text (the last one if several are), else its last top-level function."""
    try:
        names = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    except SyntaxError:
        return None
    named = [name for name in names if name in utility_text]
    return (named or names or [None])[-1]


def _header(program, entry):
    """The program's first lines up to its first `def` line: the answer should start so."""
    lines = program.strip().splitlines()
    for index, line in enumerate(lines):
        if line.startswith("def "):
            return "\n".join(lines[: index + 1])
    return lines[0] if lines else ""


def _constant_variants(program, helpers):
    """The program with one numeric constant halved or doubled at a time: a cheap way to
    spend utility calls the LM's samples left over (iteration counts, temperatures, rates).
    The utility's own helpers copied into the program are left as they are."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return
    lines = program.split("\n")
    own = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name in helpers)]
    constants = [
        node
        for top in own
        for node in ast.walk(top)
        if isinstance(node, ast.Constant)
        and type(node.value) in (int, float)
        and node.value not in (0, 1, -1)
        and node.lineno == node.end_lineno
    ]
    for factor in (2, 0.5, 4, 0.25):
        for node in constants:
            value = node.value * factor
            value = max(2, round(value)) if isinstance(node.value, int) else value
            if value == node.value:
                continue
            line = lines[node.lineno - 1]
            start, end = (
                _byte_to_char(line, node.col_offset),
                _byte_to_char(line, node.end_col_offset),
            )
            changed = lines[:]
            changed[node.lineno - 1] = line[:start] + repr(value) + line[end:]
            yield "\n".join(changed)


def _byte_to_char(line, offset):
    return len(line.encode()[:offset].decode(errors="ignore"))


def _clean(code, entry, helpers):
    """The candidate as a module that only defines things, or None if it cannot work: no code,
    a syntax error that dropping an unfinished tail does not fix, no entry point, or an import
    of a module this environment does not have. Top-level test code, a copied utility and
    `if __name__ == "__main__":` blocks are dropped (they would run, and fail, on import). The
    utility's `helpers` it calls without defining them, and the usual imports it uses without
    importing them, are added."""
    if not code:
        return None
    lines = code.split("\n")
    tree = None
    while lines:
        try:
            tree = ast.parse("\n".join(lines))
            break
        except SyntaxError:
            lines.pop()  # an answer cut off at the token limit: keep its complete part
    if tree is None:
        return None
    kept = [node for node in tree.body if _keep(node, entry)]
    functions = [n.name for n in kept if isinstance(n, ast.FunctionDef)]
    for node in kept:
        for module in (m for inner in ast.walk(node) for m in _imported(inner)):
            if importlib.util.find_spec(module) is None:
                return None  # e.g. sklearn, even imported inside a function: it could only fail
    source = "\n\n".join("\n".join(lines[_first_line(n) - 1 : n.end_lineno]) for n in kept)
    if entry and entry not in functions:
        if len(functions) != 1:
            return None
        source += f"\n\n{entry} = {functions[0]}"  # the one function, under another name
    # Small models call the utility's helpers (grid_dist...) they were shown, as if they were
    # available: without their definitions every such answer raised NameError.
    wanted = sorted(_unbound(ast.parse(source)) & helpers.keys())
    while wanted:
        source += "".join("\n\n" + helpers[name] for name in wanted)
        wanted = sorted(_unbound(ast.parse(source)) & helpers.keys())
    missing = [
        _USUAL_IMPORTS[n] for n in sorted(_unbound(ast.parse(source))) if n in _USUAL_IMPORTS
    ]
    if missing:
        source = "\n".join(missing) + "\n\n" + source  # `np.` used, numpy never imported
    return source + "\n"


def _helpers(utility_text):
    """The utility's own top-level functions but itself (grid_dist...), by name, as source."""
    try:
        tree = ast.parse(utility_text)
    except SyntaxError:
        return {}
    lines = utility_text.split("\n")
    return {
        node.name: "\n".join(lines[_first_line(node) - 1 : node.end_lineno])
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and "utility" not in node.name
    }


# Modules and names small models use without importing them, by the name they use.
_USUAL_IMPORTS = {
    "np": "import numpy as np",
    "numpy": "import numpy",
    **{
        name: f"import {name}"
        for name in [
            "random",
            "math",
            "itertools",
            "collections",
            "heapq",
            "time",
            "functools",
            "copy",
            "statistics",
            "bisect",
            "re",
        ]
    },
    **{
        name: f"from {module} import {name}"
        for module, names in [
            ("itertools", ["combinations", "permutations", "product"]),
            ("collections", ["Counter", "defaultdict", "deque"]),
            ("typing", ["List", "Tuple", "Dict", "Optional"]),
        ]
        for name in names
    },
}


def _unbound(tree):
    """Names the code reads but never binds (roughly: scopes are not told apart)."""
    bound, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return used - bound


def _first_line(node):
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def _keep(node, entry):
    """Definitions stay; statements that would run the program or a copied utility on import
    (prints, calls, loops, `if __name__ == "__main__":`) go."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name != "utility"
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        calls = [n.func for n in ast.walk(node) if isinstance(n, ast.Call)]
        return not any(isinstance(f, ast.Name) and f.id in (entry, "utility") for f in calls)
    return isinstance(node, (ast.Import, ast.ImportFrom))


def _imported(node):
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module.split(".")[0]]
    return []


def _key(source):
    """The program up to formatting and comments (so reformatted copies count as duplicates)."""
    try:
        return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError, TypeError):
        return source
