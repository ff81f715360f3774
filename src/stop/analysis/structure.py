"""Structural (AST) evidence for strategy labels: loops around LM calls, top-k selection,
Metropolis acceptance, UCB formulas, temperature arguments, restarts from the seed.

Each detector returns the lines that triggered it (empty: not found).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

LM_METHODS = frozenset({"batch_prompt", "prompt"})
_LOOPS = (ast.For, ast.While, ast.AsyncFor)
_TEMPERATURE_NAME = re.compile(r"^t$|^temp|temperature", re.IGNORECASE)
_BEST_NAME = re.compile(r"best|current|score|top", re.IGNORECASE)
_EPSILON_NAME = re.compile(r"eps|explor", re.IGNORECASE)


def _name(node: ast.AST) -> str:
    """`f` for f(...), `attr` for x.attr(...), '' otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _calls(node: ast.AST, name: str | frozenset[str]) -> Iterator[ast.Call]:
    names = {name} if isinstance(name, str) else name
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _name(sub.func) in names:
            yield sub


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def lm_calls(tree: ast.AST) -> list[ast.Call]:
    return list(_calls(tree, LM_METHODS))


def loops_with_lm_calls(tree: ast.AST) -> list[ast.stmt]:
    return [n for n in ast.walk(tree) if isinstance(n, _LOOPS) and lm_calls(n)]


def iterative_refinement(tree: ast.AST) -> set[int]:
    """A loop that asks the LM again and keeps a candidate when it beats the best so far."""
    lines: set[int] = set()
    for loop in loops_with_lm_calls(tree):
        for node in ast.walk(loop):
            if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
                continue
            compare = node.test
            ordered = any(isinstance(op, ast.Gt | ast.GtE | ast.Lt | ast.LtE) for op in compare.ops)
            if ordered and any(_BEST_NAME.search(n) for n in _names(compare)):
                lines.update({loop.lineno, node.lineno})
    return lines


def top_k_per_round(tree: ast.AST) -> set[int]:
    """Inside a loop that asks the LM: sorted(...)[:k], heapq.nlargest/nsmallest, or
    `xs.sort(...)` then `xs[:k]` — keeping several best candidates per round."""
    lines: set[int] = set()
    for loop in loops_with_lm_calls(tree):
        sorted_names = {
            call.func.value.id
            for call in _calls(loop, "sort")
            if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
        }
        for node in ast.walk(loop):
            if isinstance(node, ast.Call) and _name(node.func) in ("nlargest", "nsmallest"):
                lines.add(node.lineno)
            if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)):
                continue
            head = node.slice.lower is None and node.slice.upper is not None
            cut = node.slice.upper
            if not head or (isinstance(cut, ast.Constant) and cut.value in (1, -1)):
                continue  # [:1] is plain greedy selection, not a beam
            value = node.value
            if (isinstance(value, ast.Call) and _name(value.func) == "sorted") or (
                isinstance(value, ast.Name) and value.id in sorted_names
            ):
                lines.add(node.lineno)
    return lines


def metropolis_acceptance(tree: ast.AST) -> set[int]:
    """exp(delta / T): accepting worse candidates with a temperature-dependent probability."""
    lines: set[int] = set()
    for call in _calls(tree, "exp"):
        for node in ast.walk(call):
            divides = isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
            if divides and any(_TEMPERATURE_NAME.search(n) for n in _names(node.right)):
                lines.add(call.lineno)
    return lines


def ucb_or_epsilon(tree: ast.AST) -> set[int]:
    """sqrt(log(N) / n) bonuses (UCB) or `random() < epsilon` exploration."""
    lines: set[int] = set()
    for call in _calls(tree, "sqrt"):
        if any(True for _ in _calls(call, frozenset({"log", "log2", "log10"}))):
            lines.add(call.lineno)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Call)):
            continue
        draws = _name(node.left.func) in ("random", "rand", "uniform")
        if draws and any(_EPSILON_NAME.search(n) for c in node.comparators for n in _names(c)):
            lines.add(node.lineno)
    return lines


def parses_solution(tree: ast.AST) -> set[int]:
    """ast.parse of the solution and walking its functions: improving parts separately."""
    parse = [c for c in _calls(tree, "parse") if _name(getattr(c.func, "value", c.func)) == "ast"]
    functions = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr in ("FunctionDef", "ClassDef")
    ]
    if parse and functions:
        return {parse[0].lineno, functions[0].lineno}
    return set()


def varied_temperatures(tree: ast.AST) -> set[int]:
    """LM calls whose temperature differs between calls or is computed (a schedule)."""
    constants: dict[str, set[object]] = {}
    computed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if isinstance(node.value, ast.Constant):
                        constants.setdefault(target.id, set()).add(node.value.value)
                    else:
                        computed.add(target.id)
        elif isinstance(node, ast.AugAssign | ast.For) and isinstance(node.target, ast.Name):
            computed.add(node.target.id)
    values: dict[int, object] = {}
    varied: set[int] = set()
    for call in lm_calls(tree):
        value = next((k.value for k in call.keywords if k.arg == "temperature"), None)
        if value is None and len(call.args) >= 3:
            value = call.args[2]  # batch_prompt(expertise, messages, temperature)
        if value is None:
            continue
        if isinstance(value, ast.Constant):
            values[call.lineno] = value.value
        elif isinstance(value, ast.Name) and value.id not in computed and value.id in constants:
            fixed = constants[value.id]
            if len(fixed) > 1:
                varied.add(call.lineno)
            else:
                values[call.lineno] = next(iter(fixed))
        elif not isinstance(value, ast.Name) or value.id in computed:
            varied.add(call.lineno)
    if len(set(values.values())) > 1:
        varied.update(values)
    return varied


def restarts_from_seed(tree: ast.AST) -> set[int]:
    """Inside a loop, the current solution is reset to the initial one: a restart."""
    lines: set[int] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef) or not function.args.args:
            continue
        seed = function.args.args[0].arg
        if function.name != "improve_algorithm" and seed != "initial_solution":
            continue  # a helper's first parameter is not the seed solution
        for loop in (n for n in ast.walk(function) if isinstance(n, _LOOPS)):
            for node in ast.walk(loop):
                value = node.value if isinstance(node, ast.Assign) else None
                if isinstance(value, ast.Name) and value.id == seed:
                    lines.add(node.lineno)
    return lines
