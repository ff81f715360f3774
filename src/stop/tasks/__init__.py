"""Downstream tasks: seed solutions with visible and secret utilities.

    get_task("lpn").score(source, split="validation")  -> Score

Built-ins follow the STOP paper (design §5); `load_task` also takes a user task file or an
OpenEvolve-format folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stop.errors import TaskError
from stop.tasks.base import SPLITS, Score, Task
from stop.tasks.evaluate import CPU_ALLOWANCE, run_candidate
from stop.tasks.max_cut import max_cut_task
from stop.tasks.openevolve import load_openevolve
from stop.tasks.parity import lpn_task, parity_task
from stop.tasks.qap import qap_task
from stop.tasks.string_grid import string_grid_task
from stop.tasks.three_sat import three_sat_task
from stop.tasks.user import load_user_task

__all__ = [
    "CPU_ALLOWANCE",
    "SPLITS",
    "Score",
    "Task",
    "get_task",
    "list_tasks",
    "load_task",
    "run_candidate",
]

BUILTINS: dict[str, Callable[[], Task]] = {
    "lpn": lpn_task,
    "parity": parity_task,
    "string_grid_distance": string_grid_task,
    "quadratic_assignment": qap_task,
    "three_sat": three_sat_task,
    "max_cut": max_cut_task,
}


def get_task(name: str) -> Task:
    """The built-in task called `name`; TaskError lists the names when there is none."""
    try:
        return BUILTINS[name]()
    except KeyError:
        raise TaskError(
            f"unknown task {name!r}: built-in tasks are {', '.join(BUILTINS)} "
            "(or pass a task .py file or an OpenEvolve folder)"
        ) from None


def list_tasks() -> list[Task]:
    """The six built-in tasks, in the order of the STOP paper."""
    return [make() for make in BUILTINS.values()]


def load_task(spec: str) -> Task:
    """A built-in name, a path to a user task .py file, or an OpenEvolve-format folder."""
    if spec in BUILTINS:
        return get_task(spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        return load_openevolve(path)
    if path.suffix == ".py" or path.exists():
        return load_user_task(path)
    raise TaskError(
        f"unknown task {spec!r}: built-in tasks are {', '.join(BUILTINS)}; otherwise pass a "
        "path to a task .py file or an OpenEvolve folder"
    )
