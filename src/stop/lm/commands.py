"""Command-line commands for this part; registered by `stop.cli`."""

import typer

app = typer.Typer(no_args_is_help=True)
