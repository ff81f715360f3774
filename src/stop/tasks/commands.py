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
) -> None:
    """Score a solution file on a task (visible split unless --secret or --split)."""
    from stop.tasks import load_task

    if not file.is_file():
        raise TaskError(f"solution file {file} not found: pass a Python source file")
    chosen = split or ("test" if secret else "visible")
    result = load_task(name).score(file.read_text(), split=chosen, seed=seed)
    console.print(
        f"{result.value:.4f}  [{result.status}] {result.detail}", markup=False, highlight=False
    )
