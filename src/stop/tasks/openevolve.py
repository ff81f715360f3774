"""OpenEvolve-format folders as tasks, run as OpenEvolve runs them.

A folder holds `initial_program.py`, whose evolvable part sits between `# EVOLVE-BLOCK-START`
and `# EVOLVE-BLOCK-END`, and `evaluator.py` with `evaluate(program_path)` returning a dict of
metrics or an `EvaluationResult`, and optionally `evaluate_stage1/2/3` (a cascade),
`config.yaml` (timeout, cascade, the problem's system message; see `openevolve_config`), a
README.md and helper modules beside the evaluator. The improver sees and returns only the
block; the harness re-attaches the fixed code around it (a candidate that returns the whole
program has its block taken and its edits outside the block dropped). Scoring (`openevolve_scoring`)
runs the evaluator in the sandbox and takes the raw `combined_score` as fitness.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from stop.errors import TaskError
from stop.tasks.base import Task
from stop.tasks.folder_files import folder_has, read_folder_file
from stop.tasks.openevolve_config import EvaluatorSettings, load_settings
from stop.tasks.openevolve_scoring import FolderScorer, fitness

__all__ = ["END", "START", "Program", "fitness", "load_openevolve", "split_program"]

START, END = "# EVOLVE-BLOCK-START", "# EVOLVE-BLOCK-END"
MAX_HELPERS_BYTES = 4 << 20  # all helper modules together


@dataclass(frozen=True)
class Program:
    """initial_program.py split around its evolve block."""

    head: str
    block: str
    tail: str

    def attach(self, candidate: str) -> str | None:
        """The full program for `candidate`: a block, or a whole program whose block is taken.
        Edits outside the block are dropped, as OpenEvolve's `enforce_evolve_blocks` does: only
        the block is the solution, so the fixed code (and whatever the evaluator relies on in
        it) stays the folder's. None for a reply cut off inside its block (no END marker)."""
        if START not in candidate:
            return self.head + _line_ended(candidate) + self.tail
        try:
            other = split_program(candidate)
        except ValueError:  # a reply cut off inside its block: invalid, never fatal
            return None
        return self.head + _line_ended(other.block) + self.tail

    def changes_outside(self, candidate: str) -> bool:
        """Whether `candidate` is a whole program whose code outside the block differs."""
        if START not in candidate:
            return False
        try:
            other = split_program(candidate)
        except ValueError:
            return False
        return (other.head.strip(), other.tail.strip()) != (self.head.strip(), self.tail.strip())


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


def load_openevolve(folder: Path) -> Task:
    """The task of an OpenEvolve-format folder; TaskError names what the folder lacks."""
    missing = [f for f in ("initial_program.py", "evaluator.py") if not folder_has(folder, f)]
    if missing:
        raise TaskError(
            f"{folder} is not an OpenEvolve task folder: missing {', '.join(missing)} (it needs "
            f"initial_program.py with {START} / {END} markers and evaluator.py defining "
            "evaluate(program_path) -> dict)"
        )
    initial = read_folder_file(folder, "initial_program.py")
    evaluator = read_folder_file(folder, "evaluator.py")
    functions = _functions(folder / "evaluator.py", evaluator)
    if "evaluate" not in functions:
        raise TaskError(f"{folder / 'evaluator.py'} defines no evaluate(program_path) function")
    try:
        program = split_program(initial)
    except ValueError as exc:
        raise TaskError(f"{folder / 'initial_program.py'}: {exc}; add the missing marker") from exc
    settings = load_settings(folder)
    files = {"evaluator.py": evaluator, **_helpers(folder)}
    scorer = FolderScorer(program, files, frozenset(functions), settings)
    description = _description(folder, evaluator, settings)
    return Task(
        name=folder.resolve().name,
        description=description,
        seed_solution=program.block,
        entry_point="",
        signature=f"the EVOLVE block of {folder.name}/initial_program.py",
        visible_text=_visible_text(initial, evaluator, settings, scorer.stages),
        scorer=scorer,
        extra={"source": str(folder), "program": program, "settings": settings},
        scale=settings.scale,
    )


def _functions(path: Path, source: str) -> set[str]:
    """Names the evaluator defines at top level (functions, and names bound by assignment)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise TaskError(f"{path}: line {exc.lineno}: {exc.msg}; fix the evaluator") from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
    return names


def _helpers(folder: Path) -> dict[str, str]:
    """The folder's other top-level modules, which an evaluator may import (OpenEvolve puts
    the evaluator's folder on sys.path)."""
    names = sorted(
        p.name for p in folder.iterdir()
        if p.suffix == ".py" and p.name not in ("initial_program.py", "evaluator.py")
    )  # fmt: skip
    helpers = {name: read_folder_file(folder, name) for name in names}
    if sum(len(t) for t in helpers.values()) > MAX_HELPERS_BYTES:
        raise TaskError(f"{folder}: its .py files together exceed {MAX_HELPERS_BYTES} bytes")
    return helpers


def _visible_text(
    initial: str, evaluator: str, settings: EvaluatorSettings, stages: tuple[str, ...]
) -> str:
    """What improvers are shown: the problem, how fitness is computed, the two files."""
    scale = (
        f"in [{settings.scale[0]:g}, {settings.scale[1]:g}]"
        if settings.scale
        else "any real number (not confined to [0, 1])"
    )
    how = [
        f"The solution is the code between {START} and {END} of the program below; return "
        "only that block (code outside it is fixed: edits there are dropped). It is scored "
        "by evaluator.py (shown after it): fitness is its combined_score metric, else the "
        f"mean of its numeric metrics; higher is better, {scale}.",
        f"Each evaluation call must finish within {settings.timeout:g} s of wall time.",
    ]
    if len(stages) > 1:
        gates = ", ".join(f"{t:g}" for t in settings.thresholds[: len(stages) - 1])
        how.append(
            f"Evaluation is a cascade: {', '.join(stages)}; a stage runs only when the previous "
            f"one reached its threshold ({gates})."
        )
    if settings.repeats > 1:
        how.append(f"Each score is the mean of {settings.repeats} evaluations (they are noisy).")
    problem = f"{settings.system_message}\n\n" if settings.system_message else ""
    return (
        f"{problem}{' '.join(how)}\n\n# initial_program.py\n{initial}\n# evaluator.py\n{evaluator}"
    )


def _description(folder: Path, evaluator: str, settings: EvaluatorSettings) -> str:
    """The README.md's first paragraph, else the system message, else the evaluator's
    docstring, else a default."""
    if folder_has(folder, "README.md"):
        paragraphs = [p for p in read_folder_file(folder, "README.md").split("\n\n") if p.strip()]
        body = [p for p in paragraphs if not p.lstrip().startswith("#")]
        if body:
            return " ".join(body[0].split())
    if settings.system_message:
        return " ".join(settings.system_message.split("\n\n")[0].split())
    try:
        doc = ast.get_docstring(ast.parse(evaluator))
    except SyntaxError:
        doc = None
    return " ".join(doc.split("\n\n")[0].split()) if doc else f"OpenEvolve task {folder.name}"
