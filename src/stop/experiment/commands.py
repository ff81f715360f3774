"""`stop improve | self-improve | transfer | resume | runs | show`: thin wrappers over `runs`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from stop.errors import ConfigError, StopError
from stop.experiment.config import ExperimentConfig, resolve_config
from stop.experiment.outcomes import summarise_samples
from stop.experiment.progress import live_progress
from stop.experiment.runs import (
    ImproveResult,
    chosen_improvers,
    improve,
    new_run,
    replay_config,
    run_transfer,
    self_improve,
)
from stop.improvers import BUILTIN_IMPROVERS, improver_source
from stop.inputs import read_text_file
from stop.render import jsonsafe
from stop.render.terminal import console as make_console
from stop.render.terminal import inert, plain
from stop.report.html import write_report
from stop.report.terminal import print_run_summary
from stop.store import Store, default_db_path, default_home
from stop.tasks import load_task
from stop.tasks.scale import note as scale_note

console = make_console()

PRESET = typer.Option("paper", "--preset", help="demo (minutes on a laptop) or paper")
CONFIG = typer.Option(None, "--config", help="TOML file of config keys")
SET = typer.Option(None, "--set", help="override a config key: --set iterations=2 (repeatable)")
MODEL = typer.Option(None, "--model", help="model string, e.g. local, openai:gpt-4o")
DB = typer.Option(None, "--db", help="run store (default $STOP_HOME/runs.db)")
SEQUENTIAL = typer.Option(None, "--sequential/--concurrent", help="run everything one by one")
LM_CONCURRENCY = typer.Option(None, "--lm-concurrency", help="concurrent LM requests")
REQUIRE_ISOLATION = typer.Option(None, "--require-isolation", help="refuse without namespaces")
# `stop improve`'s model unless the preset, a config file, --set or --model names one: on the
# improvement benchmark (docs/performance.md) the embedded 1.5B improved programs the 0.5B did
# not, per minute of the same 2 cores. Self-improvement keeps the faster 0.5B (`local`).
IMPROVE_MODEL = "local:qwen2.5-coder-1.5b"
EXECUTOR = typer.Option(None, "--executor", help="where improver runs execute: local or ray")
ADDRESS = typer.Option(None, "--address", help="ray: cluster address or auto (none: start one)")


def report_dir() -> Path:
    """Where `self-improve` writes its HTML report: `$STOP_HOME/reports`."""
    path = default_home() / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_improver(spec: str) -> str:
    """A built-in improver name or a path to a .py file defining improve_algorithm."""
    if spec in BUILTIN_IMPROVERS:
        return improver_source(spec)
    path = Path(spec)
    if not path.exists():
        raise ConfigError(
            f"improver {spec!r} is neither a built-in ({', '.join(BUILTIN_IMPROVERS)}) nor a file"
        )
    source = read_text_file(path, error=ConfigError, what="improver file")
    if "def improve_algorithm" not in source:
        raise ConfigError(
            f"{spec} does not define improve_algorithm(initial_solution, utility, language_model)"
        )
    return source


def _planned_runs(config: ExperimentConfig, kind: str) -> int:
    if kind == "improve":
        return 1
    candidates = min(config.max_responses_per_call, config.meta_utility_budget)
    per_iteration = config.meta_utility_tests * (candidates + 1)
    secret = config.secret_runs * (config.iterations + 1)
    transfer = 2 * len(config.transfer_tasks) * config.transfer_seeds
    return config.meta_utility_tests + config.iterations * per_iteration + secret + transfer


def register(app: typer.Typer) -> None:
    """Add the experiment commands to the root `stop` app."""

    @app.command("self-improve")
    def self_improve_command(
        preset: str = PRESET,
        config_file: Path | None = CONFIG,
        overrides: list[str] = SET,
        model: str | None = MODEL,
        db: Path | None = DB,
        iterations: int | None = typer.Option(None, "--iterations", "-T"),
        sequential: bool | None = SEQUENTIAL,
        lm_concurrency: int | None = LM_CONCURRENCY,
        require_isolation: bool | None = REQUIRE_ISOLATION,
        executor: str | None = EXECUTOR,
        address: str | None = ADDRESS,
        no_transfer: bool = typer.Option(False, "--no-transfer", help="skip the transfer table"),
        report: bool = typer.Option(True, "--report/--no-report", help="write the HTML report"),
        replay: str | None = typer.Option(
            None, "--replay", help="reproduce RUN_ID from its recorded LM answers, with no LM calls"
        ),
    ) -> None:
        """Recursive self-improvement, then transfer. Example: stop self-improve --preset demo"""
        store = Store(db)
        if replay:
            config = replay_config(store, replay)
        else:
            config = resolve_config(
                preset,
                config_file,
                overrides,
                model=model,
                iterations=iterations,
                sequential=sequential,
                lm_concurrency=lm_concurrency,
                require_isolation=require_isolation,
                executor=executor,
                ray_address=address,
            )
        run_id = new_run(store, "self-improve", config)
        console.print(
            inert("run ", (run_id, "bold"), f" · model {config.model} · T={config.iterations}")
        )
        with live_progress(store, run_id, _planned_runs(config, "self-improve")):
            result = self_improve(config, store, run_id=run_id, with_transfer=not no_transfer)
        print_run_summary(store, result.run_id, console)
        console.print(
            inert(f"run {run_id} stored in {store.path}; `stop show {run_id}` shows it again")
        )
        if report:
            path = write_report(store, [run_id], report_dir() / f"report-{run_id}.html")
            console.print(inert(f"report: {path.resolve()}"))

    @app.command("improve")
    def improve_command(
        task: str = typer.Argument(..., help="built-in task, task .py file or OpenEvolve folder"),
        improver: str = typer.Option(
            "best_first",
            "--improver",
            help="best_first (built for small models), the paper's seed, single, hill_climb "
            "or a .py file",
        ),
        preset: str = PRESET,
        config_file: Path | None = CONFIG,
        overrides: list[str] = SET,
        model: str | None = MODEL,
        db: Path | None = DB,
        sequential: bool | None = SEQUENTIAL,
        lm_concurrency: int | None = LM_CONCURRENCY,
        executor: str | None = EXECUTOR,
        address: str | None = ADDRESS,
    ) -> None:
        """Run one improver on one task (default model: the embedded 1.5B, see
        docs/performance.md). Example: stop improve string_grid_distance"""
        store = Store(db)
        source = load_improver(improver)
        config = resolve_config(
            preset,
            config_file,
            overrides,
            defaults={"model": IMPROVE_MODEL},
            model=model,
            sequential=sequential,
            lm_concurrency=lm_concurrency,
            executor=executor,
            ray_address=address,
        )
        config = ExperimentConfig.from_dict(
            {
                **config.to_dict(),
                "extra": {"task": task, "improver": improver, "improver_source": source},
            }
        )
        run_id = new_run(store, "improve", config)
        with live_progress(store, run_id, config.improve_runs):
            result = improve(config, store, task, source, run_id=run_id)
        _print_improve(task, result, store, load_task(task).seed_solution)

    @app.command("transfer")
    def transfer_command(
        run: str | None = typer.Option(None, "--run", help="take I[0] and I[T] of this run"),
        improvers: list[str] = typer.Option(None, "--improver", help="improver name or file"),
        tasks: str | None = typer.Option(None, "--tasks", help="comma-separated task names"),
        seeds: int | None = typer.Option(None, "--seeds"),
        preset: str = PRESET,
        config_file: Path | None = CONFIG,
        overrides: list[str] = SET,
        model: str | None = MODEL,
        db: Path | None = DB,
        executor: str | None = EXECUTOR,
        address: str | None = ADDRESS,
    ) -> None:
        """Improvers on unseen tasks. Example: stop transfer --run RUN_ID --seeds 5"""
        store = Store(db)
        chosen: dict[str, str] = {}
        if run:
            versions = chosen_improvers(store, run)
            chosen = {"I[0]": versions[0], f"I[{len(versions) - 1}]": versions[-1]}
        for spec in improvers or []:
            chosen[spec] = load_improver(spec)
        if not chosen:
            chosen = {"seed": improver_source("seed")}
        config = resolve_config(
            preset,
            config_file,
            overrides,
            model=model,
            transfer_seeds=seeds,
            transfer_tasks=tasks,
            executor=executor,
            ray_address=address,
        )
        config = ExperimentConfig.from_dict({**config.to_dict(), "extra": {"improvers": chosen}})
        run_id = new_run(store, "transfer", config)
        with live_progress(store, run_id, len(chosen) * len(config.transfer_tasks) * (seeds or 1)):
            run_transfer(config, store, chosen, run_id=run_id)
        print_run_summary(store, run_id, console)
        console.print(inert(f"run {run_id} stored in {store.path}"))

    @app.command("resume")
    def resume_command(run_id: str = typer.Argument(...), db: Path | None = DB) -> None:
        """Continue a killed or failed run from its last completed step. Example: stop resume ID"""
        store = Store(db)
        run = store.get_run(run_id)
        config = ExperimentConfig.from_dict(run["config"])
        with live_progress(store, run_id, _planned_runs(config, run["kind"])):
            if run["kind"] == "self-improve":
                self_improve(config, store, run_id=run_id)
                print_run_summary(store, run_id, console)
            elif run["kind"] == "improve":
                extra = config.extra
                result = improve(
                    config, store, extra["task"], extra["improver_source"], run_id=run_id
                )
                _print_improve(extra["task"], result, store, load_task(extra["task"]).seed_solution)
            elif run["kind"] == "transfer":
                run_transfer(config, store, config.extra["improvers"], run_id=run_id)
                print_run_summary(store, run_id, console)
            else:
                raise StopError(f"run {run_id} is a {run['kind']!r} run, which cannot resume")

    @app.command("runs")
    def runs_command(db: Path | None = DB) -> None:
        """List the runs in the store. Example: stop runs"""
        table = Table("run", "kind", "status", "model")
        path = db if db is not None else default_db_path()
        if not path.exists():
            console.print(inert(f"no runs yet ({path} does not exist)"))
            return
        store = Store(path, read_only=True)
        for run in store.list_runs():
            config = store.get_run(run["id"])["config"]
            model = config.get("model", "") if isinstance(config, dict) else ""
            table.add_row(*(plain(v) for v in (run["id"], run["kind"], run["status"], model)))
        console.print(table)

    @app.command("show")
    def show_command(
        run_id: str = typer.Argument(...),
        db: Path | None = DB,
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Print a run's summary. Example: stop show RUN_ID"""
        store = Store(db, read_only=True)
        if as_json:  # strict JSON: no NaN, no lone surrogates; escapes keep the terminal inert
            typer.echo(json.dumps(jsonsafe.clean(store.get_run(run_id)), indent=2))
            return
        print_run_summary(store, run_id, console)


def _print_improve(task: str, result: ImproveResult, store: Store, initial: str) -> None:
    """One row per run, then the verdict: is the mean returned score above the seed solution's
    beyond its 95% CI (over runs), what the scores' range is when it is not [0, 1], and, when
    nothing improved, why (failure kinds)."""
    table = Table(
        "run",
        "seed solution",
        "returned",
        "gain ± CI95",
        "status",
        "LM calls",
        "tokens",
        "cost $",
        "wall s",
        title=f"stop improve {task} (test split)",
    )
    for index, outcome in enumerate(result.outcomes):
        gain = result.gain(outcome)
        mark = " *" if result.improved(outcome) else ""
        table.add_row(
            str(index),
            f"{result.seed_score:.3f}",
            f"{outcome.score:.3f}",
            f"{gain.mean:+.3f} ± {gain.ci95:.3f}{mark}" if gain else "—",
            plain(outcome.status),
            str(outcome.lm_calls),
            f"{outcome.prompt_tokens}+{outcome.completion_tokens}",
            f"{outcome.cost_usd:.4f}",
            f"{outcome.wall_seconds:.1f}",
        )
    console.print(table)
    console.print(inert(improved_runs(result)))
    console.print(inert(improve_verdict(result)))
    scale = scale_note(result.task, result.scale)
    if scale:
        console.print(inert(scale))
    samples = summarise_samples(store, result.run_id, initial)
    console.print(inert(samples.describe()))
    console.print(inert(f"run {result.run_id}; `stop show {result.run_id}` shows it again"))


def improved_runs(result: ImproveResult) -> str:
    """How many runs returned a solution above the seed solution beyond the noise."""
    n_instances = len(result.seed_instances)
    improved = sum(result.improved(o) for o in result.outcomes)
    return (
        f"{improved} of {len(result.outcomes)} runs (*) returned a solution above the seed"
        f" solution beyond the noise: the gain's 95% CI over the {n_instances} test instances"
        f" (paired) clears the seed solution's own spread over 3 scorings"
        f" ({result.seed_noise:.3f})"
    )


def improve_verdict(result: ImproveResult) -> str:
    """`seed solution 0.677 → returned 0.934 ± 0.041 (3 runs): above the seed beyond its CI`."""
    est = result.estimate
    text = f"seed solution {result.seed_score:.3f} → returned {est}"
    if est.n < 2:
        return text + " (1 run: no CI; --set improve_runs=3 gives one)"
    text += f" (mean ± 95% CI over {est.n} runs)"
    if est.mean - est.ci95 > result.seed_score:
        return text + ": above the seed solution beyond the CI"
    if est.mean > result.seed_score:
        return text + ": above the seed solution, but within the CI"
    return text + ": no better than the seed solution"
