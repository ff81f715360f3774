"""`stop report | compare | export | experiment sandbox`: thin wrappers over analysis/report."""

from __future__ import annotations

from pathlib import Path

import typer

from stop.errors import ConfigError
from stop.render.terminal import console as make_console
from stop.render.terminal import inert
from stop.store import Store

console = make_console()

DB = typer.Option(None, "--db", help="run store (default $STOP_HOME/runs.db)")


def _judge(store: Store, run_id: str, judge: str) -> None:
    """Ask the judge model about every generated improver of the run (recorded in the run)."""
    from stop.analysis.judge import agreement, judge_run
    from stop.analysis.run_data import load_run
    from stop.analysis.strategies import label_names
    from stop.lm.registry import open_model

    data = load_run(store, run_id)
    verdicts = judge_run(store, data, open_model(judge, store=store, run_id=run_id))
    static = {i.id: label_names(i.source) for i in data.generated()}
    agree = agreement(static, verdicts)
    console.print(
        inert(
            f"judge {judge}: labelled {agree.improvers} improvers; identical label sets"
            f" {agree.exact}/{agree.improvers}, agreeing yes/no decisions"
            f" {agree.agreeing}/{agree.decisions}"
        )
    )


def _file_name(prefix: str, run_id: str, suffix: str) -> str:
    """A default output file name for a run: the id may come from someone else's store, so
    anything but letters, digits, `-`, `_` and `.` becomes `_` (no `../`, no slashes)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in run_id)
    safe = safe.lstrip(".") or "run"
    return f"{prefix}-{safe}{suffix}" if prefix else f"{safe}{suffix}"


def register(app: typer.Typer) -> None:
    """Add `report`, `compare`, `export` and `experiment sandbox` to the root `stop` app."""

    @app.command("report")
    def report_command(
        run_id: str = typer.Argument(..., help="the run to report on"),
        output: Path | None = typer.Option(None, "-o", "--output", help="default report-RUN.html"),
        judge: str | None = typer.Option(
            None, "--judge", help="also ask this model which strategies each improver uses"
        ),
        db: Path | None = DB,
    ) -> None:
        """Write one self-contained HTML report of a run. Example: stop report RUN_ID"""
        from stop.report.html import write_report

        store = Store(db, read_only=not judge)  # the judge's verdicts are recorded in the run
        if judge:
            _judge(store, run_id, judge)
        path = write_report(store, [run_id], output or Path(_file_name("report", run_id, ".html")))
        console.print(inert(f"report written to {path.resolve()}"))

    @app.command("compare")
    def compare_command(
        run_ids: list[str] = typer.Argument(..., help="two or more runs, e.g. two models"),
        output: Path = typer.Option(Path("compare.html"), "-o", "--output"),
        db: Path | None = DB,
    ) -> None:
        """Write one HTML page comparing runs. Example: stop compare RUN_A RUN_B -o c.html"""
        from stop.report.html import write_report

        if len(run_ids) < 2:
            raise ConfigError("compare needs at least two runs; for one run use `stop report`")
        path = write_report(Store(db, read_only=True), run_ids, output)
        console.print(inert(f"comparison written to {path.resolve()}"))

    @app.command("export")
    def export_command(
        run_id: str = typer.Argument(...),
        format: str = typer.Option("jsonl", "--format", help="jsonl (one file) or csv (a folder)"),
        output: Path | None = typer.Option(None, "-o", "--output"),
        db: Path | None = DB,
    ) -> None:
        """Write every record of a run. Example: stop export RUN_ID --format csv -o out/"""
        from stop.analysis.export import export_csv, export_jsonl

        if format not in ("jsonl", "csv"):
            raise ConfigError(f"unknown export format {format!r}; use --format jsonl or csv")
        store = Store(db, read_only=True)
        if format == "jsonl":
            path = output or Path(_file_name("", run_id, ".jsonl"))
            count = export_jsonl(store, run_id, path)
        else:
            path = output or Path(_file_name("", run_id, "-csv"))
            count = export_csv(store, run_id, path)
        console.print(inert(f"{count} records written to {path}"))

    experiment = typer.Typer(help="The paper's side experiments.", no_args_is_help=True)
    app.add_typer(experiment, name="experiment")

    @experiment.command("sandbox")
    def sandbox_command(
        model: str = typer.Option("local", "--model", help="model string, e.g. openai:gpt-4o"),
        n: int = typer.Option(60, "--n", min=1, help="improvers to generate"),
        warning: bool = typer.Option(
            True, "--warning/--no-warning", help="show the paper's warning text"
        ),
        max_responses_per_call: int = typer.Option(6, "--max-responses-per-call", min=1),
        max_tokens: int = typer.Option(1024, "--max-tokens", min=16),
        cache: bool = typer.Option(True, "--cache/--no-cache", help="reuse recorded samples"),
        db: Path | None = DB,
    ) -> None:
        """How often generated improvers switch the sandbox off (STOP §6.1). Example:
        stop experiment sandbox --model local --n 60"""
        from stop.analysis.sandbox_experiment import run_sandbox_experiment

        store = Store(db)
        result = run_sandbox_experiment(
            store,
            model,
            n,
            warning=warning,
            max_responses_per_call=max_responses_per_call,
            max_tokens=max_tokens,
            cache=cache,
        )
        console.print(inert(result.summary()))
        console.print(
            inert(
                f"{result.with_code} of {n} answers held code; {result.unknown} passed a"
                f" use_sandbox value not known statically. Run {result.run_id}:"
                f" `stop report {result.run_id}`"
            )
        )
