"""Command-line commands for this part; registered by `stop.cli`.

Task names, descriptions, sources and scorer messages come from task files and folders that
someone else wrote, and candidates' error texts from model-written code: all are printed as
inert text (`stop.render.terminal`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule
from rich.table import Table

from stop.errors import TaskError
from stop.inputs import read_text_file
from stop.render.terminal import console as make_console
from stop.render.terminal import inert, plain

app = typer.Typer(no_args_is_help=True)
console = make_console()


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
        title = t.description.split(":")[0].split(". ")[0]
        table.add_row(plain(t.name), plain(t.signature), plain(title))
    console.print(table)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="A built-in name, task .py file or folder.")],
) -> None:
    """Show a task's description, signature, visible utility text and seed solution."""
    from stop.tasks import load_task

    t = load_task(name)
    console.print(Rule(plain(t.name)))
    console.print(plain(t.description))
    console.print(inert("\n", ("signature", "bold"), f": {t.signature}"))
    console.rule("visible utility (shown to improvers)")
    console.print(plain(t.visible_text))
    console.rule("seed solution")
    console.print(plain(t.seed_solution))


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
    from stop.tasks.scale import note as scale_note

    source = read_text_file(file, error=TaskError, what="solution file")
    chosen = split or ("test" if secret else "visible")
    task = load_task(name)
    results = [task.score(source, split=chosen, seed=seed) for _ in range(repeats)]
    values = [r.value for r in results]
    mean, last = statistics.fmean(values), results[-1]
    console.print(inert(f"{mean:.4f}  [{last.status}] {last.detail}"))
    if repeats > 1:
        spread = statistics.stdev(values)
        shown = ", ".join(f"{v:.4f}" for v in values)
        console.print(
            inert(
                f"noise: sd {spread:.4f} over {repeats} scorings ({shown})"
                + ("; the same every time" if spread == 0 else "")
            )
        )
    note = scale_note(task.name, task.scale)
    if note:
        console.print(inert(note))
