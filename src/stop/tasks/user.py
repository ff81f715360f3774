"""User tasks: a Python file defining SEED, DESCRIPTION and utility(solution_source) -> float.

The file is the user's own, trusted code and runs in this (host) process; its utility receives
only the candidate's source string. A utility that runs the candidate should do it through
`stop.tasks.run_candidate` so the candidate itself stays sandboxed.
"""

from __future__ import annotations

import ast
import inspect
import math
import runpy
from pathlib import Path
from typing import Any

from stop.errors import TaskError
from stop.inputs import read_text_file
from stop.tasks.base import Score, Task

EXAMPLE = """\
SEED = "def algorithm(x):\\n    return x\\n"
DESCRIPTION = "Return a number as close to 3 as you can."
def utility(solution_source: str) -> float:
    from stop.tasks import run_candidate
    (result,) = run_candidate(solution_source, "algorithm", [[1.0]], cpu_seconds=0.1)
    return 1 / (1 + abs(result.value - 3)) if result.ok else 0.0"""


def _fail(path: Path, problem: str) -> TaskError:
    return TaskError(
        f"task file {path}: {problem}. A task file defines SEED, DESCRIPTION and utility, "
        f"for example:\n{EXAMPLE}"
    )


def _entry_point(seed: str, path: Path, wanted: str | None) -> tuple[str, str]:
    """(entry name, signature) from the seed's source: ENTRY_POINT or its first function."""
    try:
        tree = ast.parse(seed)
    except SyntaxError as exc:
        raise _fail(path, f"SEED is not valid Python (line {exc.lineno}: {exc.msg})") from exc
    except ValueError as exc:  # null bytes
        raise _fail(path, f"SEED is not valid Python ({exc})") from exc
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for fn in functions:
        if wanted is None or fn.name == wanted:
            return fn.name, f"{fn.name}({ast.unparse(fn.args)})"
    if wanted is not None:
        raise _fail(path, f"SEED defines no function named {wanted!r} (its ENTRY_POINT)")
    raise _fail(path, "SEED defines no function")


def _accepts(fn: Any, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _user_scorer(fn: Any, path: Path):
    """Wrap the user's utility: pass split/seed only if it asks for them; failures score 0."""
    takes_split, takes_seed = _accepts(fn, "split"), _accepts(fn, "seed")

    def score(source: str, split: str, seed: int | None, sandbox: Any, count: int | None) -> Score:
        kwargs: dict[str, Any] = {}
        if takes_split:
            kwargs["split"] = split
        if takes_seed:
            kwargs["seed"] = seed
        try:
            value = fn(source, **kwargs)
        except Exception as exc:  # the user's scorer failing is data, not a crash of the run
            msg = f"{path.name} utility raised {type(exc).__name__}: {exc}"
            return Score(0.0, "evaluator_error", msg[:300], 1, {"evaluator_error": 1})
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            msg = f"{path.name} utility returned {type(value).__name__}, not a number"
            return Score(0.0, "evaluator_error", msg, 1, {"evaluator_error": 1})
        clipped = min(1.0, max(0.0, float(value)))
        return Score(clipped, "ok", f"{path.name} utility returned {value!r}", 1, {})

    return score


def load_user_task(path: Path) -> Task:
    """The task defined by the Python file at `path`; TaskError names anything missing."""
    if not path.exists():
        raise TaskError(
            f"task file {path} not found: pass a built-in task name (see `stop tasks list`), "
            "a .py task file or an OpenEvolve folder"
        )
    text = read_text_file(path, error=TaskError, what="task file")
    try:
        ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise _fail(path, f"syntax error on line {exc.lineno}: {exc.msg}") from exc
    except ValueError as exc:  # Python 3.11: "source code string cannot contain null bytes"
        raise _fail(path, str(exc)) from exc
    try:
        namespace = runpy.run_path(str(path), run_name=f"stop_user_task_{path.stem}")
    except Exception as exc:
        raise _fail(path, f"running it raised {type(exc).__name__}: {exc}") from exc
    fn = namespace.get("utility") or namespace.get("evaluate")
    missing = [n for n in ("SEED", "DESCRIPTION") if not isinstance(namespace.get(n), str)]
    if not callable(fn):
        missing.append("utility")
    if missing:
        raise _fail(
            path,
            f"missing {', '.join(missing)} (SEED and DESCRIPTION must be strings, "
            "utility a function taking the solution source)",
        )
    seed, wanted = namespace["SEED"], namespace.get("ENTRY_POINT")
    entry, signature = _entry_point(seed, path, wanted if isinstance(wanted, str) else None)
    text = namespace.get("TEXT")
    if not isinstance(text, str):
        try:
            text = inspect.getsource(fn)
        except (OSError, TypeError):
            text = namespace["DESCRIPTION"]
    return Task(
        name=str(namespace.get("NAME") or path.stem),
        description=namespace["DESCRIPTION"],
        seed_solution=seed,
        entry_point=entry,
        signature=signature,
        visible_text=text,
        scorer=_user_scorer(fn, path),
        extra={"source": str(path)},
    )
