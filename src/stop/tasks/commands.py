"""Command-line commands for this part; registered by `stop.cli`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stop.errors import TaskError

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("list")
def list_command(
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Also list a task file or folder.")
    ] = None,
) -> None:
    """List the built-in tasks (and any task given with --task)."""
    from stop.tasks import list_tasks, load_task

    tasks = list_tasks() + [load_task(spec) for spec in task or []]
    table = Table("name", "signature", "description")
    for t in tasks:
        # The first clause of the description is its title; `show` prints the rest.
        table.add_row(t.name, t.signature, t.description.split(":")[0].split(". ")[0])
    console.print(table)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="A built-in name, task .py file or folder.")],
) -> None:
    """Show a task's description, signature, visible utility text and seed solution."""
    from stop.tasks import load_task

    t = load_task(name)
    console.rule(t.name)
    console.print(t.description, highlight=False)
    console.print(f"\n[bold]signature[/]: {t.signature}", highlight=False)
    console.rule("visible utility (shown to improvers)")
    console.print(t.visible_text, markup=False, highlight=False)
    console.rule("seed solution")
    console.print(t.seed_solution, markup=False, highlight=False)


@app.command("score")
def score_command(
    name: Annotated[str, typer.Argument(help="A built-in name, task .py file or folder.")],
    file: Annotated[Path, typer.Argument(help="The solution's Python source file.")],
    secret: Annotated[bool, typer.Option("--secret", help="Score on the test split.")] = False,
    split: Annotated[
        str | None, typer.Option(help="visible, validation or test (overrides --secret).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for the visible split.")] = None,
    repeats: Annotated[
        int, typer.Option(min=1, help="Score this many times to show the evaluator's noise.")
    ] = 3,
) -> None:
    """Score a solution file on a task (visible split unless --secret or --split), several
    times: the spread of the scores is the evaluator's own noise."""
    import statistics

    from stop.tasks import load_task

    if not file.is_file():
        raise TaskError(f"solution file {file} not found: pass a Python source file")
    chosen = split or ("test" if secret else "visible")
    task = load_task(name)
    source = file.read_text()
    results = [task.score(source, split=chosen, seed=seed) for _ in range(repeats)]
    values = [r.value for r in results]
    mean, last = statistics.fmean(values), results[-1]
    console.print(f"{mean:.4f}  [{last.status}] {last.detail}", markup=False, highlight=False)
    if repeats > 1:
        spread = statistics.stdev(values)
        shown = ", ".join(f"{v:.4f}" for v in values)
        console.print(
            f"noise: sd {spread:.4f} over {repeats} scorings ({shown})"
            + ("; the same every time" if spread == 0 else ""),
            highlight=False,
        )
    if task.scale != (0.0, 1.0):
        console.print(f"scores of {task.name} are {task.scale_text}", highlight=False)
