"""One call of an OpenEvolve evaluator function, as it runs inside the sandboxed child.

This file's source is sent to the sandbox (standard library only; nothing from `stop` is
imported in the child). `run` lays the folder out as OpenEvolve would see it: the evaluator and
its helper modules in one directory that is on `sys.path`, the candidate program in a temporary
`.py` file whose path the evaluator receives, and `openevolve.evaluation_result` importable
(stop's stand-in, also on PYTHONPATH for the evaluator's own subprocesses). It returns the
metrics and artifacts as plain JSON data; the cascade and the fitness are decided on the host.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from typing import Any

MAX_TEXT = 2000  # characters kept of one artifact or text metric


def run(files: dict[str, str], shim: dict[str, str], function: str, nonce: str) -> dict:
    """Call `function(program_path)` of `files["evaluator.py"]` on `files["program.py"]`.
    `nonce` only makes the sandbox's per-call seed differ between repeats; it is not used."""
    del nonce
    folder = tempfile.mkdtemp(prefix="folder-")
    for name, text in files.items():
        if name != "program.py":
            _write(os.path.join(folder, name), text)
    shim_dir = tempfile.mkdtemp(prefix="shim-")
    for name, text in shim.items():
        _write(os.path.join(shim_dir, name), text)
    # The evaluator's folder first (its helper modules), as OpenEvolve does, then the stand-in.
    sys.path[:0] = [folder, shim_dir]
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = shim_dir + (os.pathsep + previous if previous else "")
    program_dir = tempfile.mkdtemp(prefix="program-")
    program_path = os.path.join(program_dir, "program.py")
    _write(program_path, files["program.py"])
    spec = importlib.util.spec_from_file_location(
        "evaluation_module", os.path.join(folder, "evaluator.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["evaluation_module"] = module
    spec.loader.exec_module(module)
    result = getattr(module, function)(program_path)
    return _plain(result)


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _plain(result: Any) -> dict:
    """{"metrics": ..., "artifacts": ...} of a dict or an EvaluationResult (real or stand-in);
    like OpenEvolve, anything else becomes the single metric error=0."""
    if isinstance(result, dict):
        metrics, artifacts = result, {}
    elif isinstance(getattr(result, "metrics", None), dict):
        metrics, artifacts = result.metrics, getattr(result, "artifacts", None) or {}
    else:
        return {
            "metrics": {"error": 0.0},
            "artifacts": {"stop_note": f"evaluate returned {type(result).__name__}"},
        }
    return {
        "metrics": {str(k): _metric(v) for k, v in metrics.items()},
        "artifacts": {str(k): _text(v) for k, v in dict(artifacts).items()},
    }


def _metric(value: Any) -> Any:
    # bool first: it is an int, but OpenEvolve treats it as a flag (kept as is, not a number).
    if isinstance(value, bool | str) or value is None:
        return value if not isinstance(value, str) else _text(value)
    try:  # ints, floats, numpy scalars; NaN and infinities cross as JSON's NaN/Infinity
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"... [{len(text)} chars]"
