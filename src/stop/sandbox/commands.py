"""Command-line commands for this part; registered by `stop.cli`."""

import json

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True)


@app.command()
def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show which isolation layers sandboxed code runs under on this machine."""
    from stop.sandbox.isolation import detect_isolation

    iso = detect_isolation()
    console = Console()
    if as_json:
        console.print_json(json.dumps(iso.to_dict()))
        return
    table = Table(title=f"sandbox isolation (method: {iso.method})")
    table.add_column("layer")
    table.add_column("active")
    for layer in (
        "network_namespace",
        "pid_namespace",
        "mount_namespace",
        "readonly_root",
        "rlimits",
    ):
        active = getattr(iso, layer)
        table.add_row(layer.replace("_", " "), "[green]yes[/]" if active else "[bold red]NO[/]")
    console.print(table)
    for warning in iso.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    verdict = "[green]full isolation[/]" if iso.full else "[bold red]isolation incomplete[/]"
    console.print(verdict)
