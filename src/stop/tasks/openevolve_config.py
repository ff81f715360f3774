"""The parts of an OpenEvolve folder's `config.yaml` that change how a candidate is scored.

OpenEvolve reads many more keys (LLM, database, islands); those belong to its search and are
ignored here. What `stop` honours, with OpenEvolve's own defaults when a key is absent:

    evaluator.timeout             seconds per evaluation call (each cascade stage), default 300
    evaluator.cascade_evaluation  run evaluate_stage1/2/3 when the evaluator defines them (true)
    evaluator.cascade_thresholds  fitness a stage must reach to run the next ([0.5, 0.75, 0.9])
    evaluator.memory_limit_mb     memory of the evaluation (default: the sandbox's 1 GiB)
    database.feature_dimensions   metrics left out of the fallback fitness (complexity, diversity)
    prompt.system_message         the problem description an improver is shown

and one section of its own, which OpenEvolve ignores (it drops unknown keys):

    stop.repeats                  evaluations averaged per score, for noisy evaluators (1)
    stop.max_processes            threads + processes an evaluation may run at once (16)
    stop.scale                    [low, high] when the fitness is known to lie in a range
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stop.errors import TaskError
from stop.tasks.folder_files import folder_has, read_folder_file

CONFIG_FILE = "config.yaml"
# OpenEvolve's PromptConfig default is the name of a template, not a description.
DEFAULT_SYSTEM_MESSAGE = "system_message"
MAX_REPEATS = 50
MAX_PROCESSES = 64
MiB = 1 << 20


@dataclass(frozen=True)
class EvaluatorSettings:
    """How one folder's candidates are evaluated (OpenEvolve's defaults unless configured)."""

    timeout: float = 300.0
    cascade: bool = True
    thresholds: tuple[float, ...] = (0.5, 0.75, 0.9)
    memory_bytes: int | None = None
    feature_dimensions: tuple[str, ...] = ("complexity", "diversity")
    system_message: str | None = None
    repeats: int = 1
    max_processes: int = 16
    scale: tuple[float, float] | None = None


def load_settings(folder: Path) -> EvaluatorSettings:
    """The folder's settings; defaults when it has no config.yaml. TaskError (naming the file
    and the key) for YAML that does not parse or a value of the wrong kind."""
    if not folder_has(folder, CONFIG_FILE):
        return EvaluatorSettings()
    path = folder / CONFIG_FILE
    data = _parse(read_folder_file(folder, CONFIG_FILE), path)
    evaluator, stop = _section(data, "evaluator", path), _section(data, "stop", path)
    database, prompt = _section(data, "database", path), _section(data, "prompt", path)
    d = EvaluatorSettings()

    def number(section: dict, name: str, default: float, **bounds: Any) -> float:
        return _number(section.get(name, default), f"{section['__name__']}.{name}", path, **bounds)

    memory_mb = evaluator.get("memory_limit_mb")
    if memory_mb is not None:
        number(evaluator, "memory_limit_mb", 0, low=64)
    message = prompt.get("system_message")
    thresholds = _list(evaluator, "cascade_thresholds", d.thresholds, path)
    return EvaluatorSettings(
        timeout=number(evaluator, "timeout", d.timeout, low=0.1),
        cascade=_flag(evaluator, "cascade_evaluation", d.cascade, path),
        thresholds=tuple(_number(t, "evaluator.cascade_thresholds", path) for t in thresholds),
        memory_bytes=None
        if memory_mb is None
        else int(number(evaluator, "memory_limit_mb", 0, low=64) * 2**20),
        feature_dimensions=tuple(
            str(x) for x in _list(database, "feature_dimensions", d.feature_dimensions, path)
        ),
        system_message=message.strip()
        if isinstance(message, str) and message.strip() not in ("", DEFAULT_SYSTEM_MESSAGE)
        else None,
        repeats=int(number(stop, "repeats", d.repeats, low=1, high=MAX_REPEATS, integer=True)),
        max_processes=int(
            number(stop, "max_processes", d.max_processes, low=1, high=MAX_PROCESSES, integer=True)
        ),
        scale=None if stop.get("scale") is None else _scale(stop["scale"], path),
    )


def _parse(text: str, path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise TaskError(f"{path} is not valid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TaskError(f"{path} must be a mapping of sections (evaluator:, prompt:, ...)")
    return data


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise TaskError(f"{path}: `{name}` must be a mapping of keys, not {section!r}")
    return {**section, "__name__": name}


def _number(
    value: Any,
    name: str,
    path: Path,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    integer: bool = False,
) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (integer and value != int(value)) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        bounds = f" from {low:g}" if low > -math.inf else ""
        bounds += f" to {high:g}" if high < math.inf else ""
        raise TaskError(f"{path}: {name} must be {kind}{bounds}, got {value!r}")
    return float(value)


def _flag(section: dict[str, Any], key: str, default: bool, path: Path) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise TaskError(f"{path}: {section['__name__']}.{key} must be true or false, got {value!r}")
    return value


def _list(section: dict[str, Any], key: str, default: tuple, path: Path) -> list:
    value = section.get(key, list(default))
    if not isinstance(value, list):
        raise TaskError(f"{path}: {section['__name__']}.{key} must be a list, got {value!r}")
    return value


def _scale(value: Any, path: Path) -> tuple[float, float]:
    numbers = value if isinstance(value, list) and len(value) == 2 else None
    if numbers is None or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in numbers
    ):
        raise TaskError(f"{path}: stop.scale must be [low, high], got {value!r}")
    low, high = float(numbers[0]), float(numbers[1])
    if not low < high:
        raise TaskError(f"{path}: stop.scale must have low < high, got {value!r}")
    return low, high
