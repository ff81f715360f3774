"""The `stop` command line: a thin layer over the library.

User errors (`StopError`) print one line and exit 1; `--debug` shows the traceback. The message
is printed as inert text: it may quote a run id, a README or a server's error body, whose `[/x]`
must not be read as markup nor its escape sequences reach the terminal. Anything else that
escapes a command is a bug: it is reported in one line too, with the way to see the traceback.
"""

from __future__ import annotations

import sys

import typer

from stop.analysis.commands import register as register_analysis
from stop.errors import StopError
from stop.experiment.commands import register as register_experiment
from stop.lm.commands import app as lm_app
from stop.models import app as models_app
from stop.render.terminal import console, inert
from stop.sandbox.commands import app as sandbox_app
from stop.sandbox.commands import doctor
from stop.tasks.commands import app as tasks_app

app = typer.Typer(
    help="STOP: a language model improves programs, and the program that improves them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(lm_app, name="lm", help="Talk to a language model directly.")
app.add_typer(models_app, name="models", help="List, pull and locate embedded local models.")
app.add_typer(sandbox_app, name="sandbox", help="Inspect and exercise the sandbox.")
app.add_typer(tasks_app, name="tasks", help="List and inspect downstream tasks.")

register_experiment(app)
register_analysis(app)
app.command("doctor", help="Show the sandbox's isolation layers on this machine.")(doctor)

err_console = console(stderr=True)


def main() -> None:
    """Entry point of the `stop` console script."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        app()
    except StopError as exc:
        if debug:
            raise
        err_console.print(inert(("error:", "bold red"), f" {exc}"), soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        if debug:
            raise
        err_console.print(inert(("interrupted", "bold red")))
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        err_console.print(
            inert(
                ("internal error:", "bold red"),
                f" {type(exc).__name__}: {exc} (a bug in stop; rerun with --debug for the"
                " traceback and report it)",
            ),
            soft_wrap=True,
        )
        sys.exit(70)  # EX_SOFTWARE: not the user's fault


if __name__ == "__main__":
    main()
