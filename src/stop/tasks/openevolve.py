"""OpenEvolve-format folders as tasks.

A folder holds `initial_program.py`, whose evolvable part sits between `# EVOLVE-BLOCK-START`
and `# EVOLVE-BLOCK-END`, and `evaluator.py` with `evaluate(program_path) -> dict` of metrics.
The improver sees and returns only the block; the harness re-attaches the fixed code around it
(a candidate that returns the whole program must leave everything outside the block unchanged).
Fitness is the `combined_score` metric when present, else the mean of the numeric metrics,
clipped to [0, 1]. The evaluator runs in the sandbox, in the same child as the candidate.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stop.errors import TaskError
from stop.tasks.base import Score, Task

if TYPE_CHECKING:
    from stop.sandbox import Sandbox

START, END = "# EVOLVE-BLOCK-START", "# EVOLVE-BLOCK-END"
# One evaluation of the whole program; OpenEvolve evaluators are usually much faster.
EVALUATOR_CPU_SECONDS = 10.0
EVALUATOR_WALL_SECONDS = 30.0

# Runs in the sandboxed child: writes the program where the evaluator expects a path, loads
# the evaluator as a module and returns its metrics as plain JSON-able data.
RUNNER = """\
import os, tempfile, types

def run(evaluator_source, program_source):
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "program.py")
    with open(path, "w") as f:
        f.write(program_source)
    module = types.ModuleType("evaluator")
    module.__file__ = os.path.join(directory, "evaluator.py")
    exec(compile(evaluator_source, "evaluator.py", "exec"), module.__dict__)
    result = module.evaluate(path)
    metrics = getattr(result, "metrics", result)  # OpenEvolve's EvaluationResult
    if not isinstance(metrics, dict):
        raise TypeError(f"evaluate() returned {type(metrics).__name__}, not a dict")
    return {str(k): (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
            for k, v in metrics.items()}
"""


@dataclass(frozen=True)
class Program:
    """initial_program.py split around its evolve block."""

    head: str
    block: str
    tail: str

    def attach(self, candidate: str) -> str | None:
        """The full program for `candidate` (a block or a whole program); None when a whole
        program changed anything outside its block."""
        if START not in candidate:
            return self.head + _line_ended(candidate) + self.tail
        try:
            other = split_program(candidate)
        except ValueError:  # a reply cut off inside its block: invalid, never fatal
            return None
        if other.head.rstrip() != self.head.rstrip() or other.tail.rstrip() != self.tail.rstrip():
            return None
        return self.head + _line_ended(other.block) + self.tail


def _line_ended(block: str) -> str:
    return block if block.endswith("\n") or not block else block + "\n"


def split_program(text: str) -> Program:
    """Split at the markers (head ends with the START line, tail begins with the END line);
    a program without markers is all block."""
    if START not in text:
        return Program("", text, "")
    head, rest = text.split(START, 1)
    line_end, rest = rest.split("\n", 1) if "\n" in rest else (rest, "")
    if END not in rest:
        raise ValueError(f"{START} without {END}")
    block, tail = rest.split(END, 1)
    return Program(head + START + line_end + "\n", block, END + tail)


def fitness(metrics: dict[str, Any]) -> float | None:
    """`combined_score` if numeric, else the mean of numeric metrics; None when there is none."""
    numeric = {k: v for k, v in metrics.items() if isinstance(v, float) and math.isfinite(v)}
    if "combined_score" in numeric:
        return numeric["combined_score"]
    return sum(numeric.values()) / len(numeric) if numeric else None


def _scorer(program: Program, evaluator: str):
    def score(
        source: str, split: str, seed: int | None, sandbox: Sandbox | None, count: int | None
    ) -> Score:
        from stop.sandbox import Limits, default_sandbox

        full = program.attach(source)
        if full is None:
            return Score(
                0.0,
                "invalid_source",
                "code outside the EVOLVE block was changed",
                1,
                {"invalid_source": 1},
            )
        limits = Limits(cpu_seconds=EVALUATOR_CPU_SECONDS, wall_seconds=EVALUATOR_WALL_SECONDS)
        box = sandbox if sandbox is not None else default_sandbox()
        (result,) = box.call_many(RUNNER, "run", [[evaluator, full]], limits)
        if not result.ok:
            reason = (result.error or result.status).strip()[-300:]
            return Score(0.0, result.status, f"evaluator failed: {reason}", 1, {result.status: 1})
        value = fitness(result.value)
        if value is None:
            return Score(
                0.0,
                "evaluator_error",
                "evaluate() returned no numeric metric",
                1,
                {"evaluator_error": 1},
            )
        shown = ", ".join(f"{k}={v:.4g}" for k, v in result.value.items() if v is not None)
        return Score(min(1.0, max(0.0, value)), "ok", f"metrics: {shown}", 1, {})

    return score


def load_openevolve(folder: Path) -> Task:
    """The task of an OpenEvolve-format folder; TaskError names what the folder lacks."""
    missing = [f for f in ("initial_program.py", "evaluator.py") if not (folder / f).is_file()]
    if missing:
        raise TaskError(
            f"{folder} is not an OpenEvolve task folder: missing {', '.join(missing)} (it needs "
            f"initial_program.py with {START} / {END} markers and evaluator.py defining "
            "evaluate(program_path) -> dict)"
        )
    initial = (folder / "initial_program.py").read_text()
    evaluator = (folder / "evaluator.py").read_text()
    if "def evaluate" not in evaluator:
        raise TaskError(f"{folder / 'evaluator.py'} defines no evaluate(program_path) function")
    try:
        program = split_program(initial)
    except ValueError as exc:
        raise TaskError(f"{folder / 'initial_program.py'}: {exc}; add the missing marker") from exc
    description = _description(folder, evaluator)
    text = (
        f"The solution is the code between {START} and {END} of the program below; return "
        "only that block. It is scored by evaluator.py (shown after it): fitness is its "
        "combined_score metric, else the mean of its numeric metrics, clipped to [0, 1].\n\n"
        f"# initial_program.py\n{initial}\n# evaluator.py\n{evaluator}"
    )
    return Task(
        name=folder.resolve().name,
        description=description,
        seed_solution=program.block,
        entry_point="",
        signature=f"the EVOLVE block of {folder.name}/initial_program.py",
        visible_text=text,
        scorer=_scorer(program, evaluator),
        extra={"source": str(folder), "program": program},
    )


def _description(folder: Path, evaluator: str) -> str:
    """The folder's README.md first paragraph, else the evaluator's docstring, else a default."""
    readme = folder / "README.md"
    if readme.is_file():
        paragraphs = [p for p in readme.read_text().split("\n\n") if p.strip()]
        body = [p for p in paragraphs if not p.lstrip().startswith("#")]
        if body:
            return " ".join(body[0].split())
    try:
        doc = ast.get_docstring(ast.parse(evaluator))
    except SyntaxError:
        doc = None
    return " ".join(doc.split("\n\n")[0].split()) if doc else f"OpenEvolve task {folder.name}"
