"""The report's key tables in the terminal (rich): what `stop show RUN_ID` prints.

Run ids, task and improver names, model strings and recorded summaries are someone else's
text: each is printed as inert `Text` (`stop.render.terminal`), never as markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from stop.analysis.strategies import STRATEGIES
from stop.experiment.stats import Estimate
from stop.render.terminal import inert, plain
from stop.report.model import RunReport, build_report
from stop.store import Store


def _header(report: RunReport, console: Console) -> None:
    run = report.data.run
    iso = run["environment"].get("isolation") or {}
    layers = [k for k, v in iso.items() if v is True]
    console.print(
        inert(
            (f"run {report.data.run_id}", "bold"),
            f" · {run['kind']} · {run['status']} · model {report.data.model} · task {_task(run)}",
        )
    )
    console.print(inert(f"isolation {iso.get('method', 'unknown')}: {', '.join(layers) or 'none'}"))
    u = report.usage
    console.print(
        inert(
            f"LM samples {u.samples} ({u.cache_hits} from cache, {u.errors} errors) · tokens"
            f" {u.prompt_tokens} in / {u.completion_tokens} out · cost ${u.cost_usd:.4f}"
        )
    )


def _task(run: dict) -> str:
    """An improve or transfer run names its task(s) in `extra`; self-improvement in `task`."""
    config = run["config"] if isinstance(run["config"], dict) else {}
    extra = config.get("extra") if isinstance(config.get("extra"), dict) else {}
    if run["kind"] == "improve" and extra.get("task"):
        return str(extra["task"])
    if run["kind"] == "transfer":
        return ", ".join(map(str, config.get("transfer_tasks") or [])) or "-"
    return str(config.get("task", "-"))


def _iterations(report: RunReport, console: Console) -> None:
    if not report.iterations:
        return
    table = Table(
        "t",
        "meta-utility (secret, 95% CI)",
        "runs",
        "validation",
        "candidates",
        "accepted",
        "why not accepted",
        title="Meta-utility by iteration",
        caption=_caption([report.scale_note] if report.scale_note else []),
    )
    for it in report.iterations:
        table.add_row(
            f"I[{it['iteration']}]",
            str(Estimate(it["secret_mean"], it["secret_ci95"], it["secret_runs"])),
            str(it["secret_runs"]),
            f"{it['validation_meta_utility']:.3f}",
            str(it["candidates"]),
            "seed" if it["iteration"] == 0 else ("yes" if it["accepted"] else "no"),
            plain(it.get("why") or ""),
        )
    console.print(table)


def _transfer(report: RunReport, console: Console) -> None:
    if not report.transfer:
        return
    table = Table(
        "improver",
        "task",
        "mean ± 95% CI",
        "runs",
        "seed solution",
        title="Transfer",
        caption=_caption(report.transfer_notes),
    )
    for c in report.transfer:
        table.add_row(
            plain(c["improver"]),
            plain(c["task"]),
            f"{c['mean']:.3f} ± {c['ci95']:.3f}",
            str(c["runs"]),
            f"{c['seed_solution_score']:.3f}",
        )
    console.print(table)


def _caption(notes: list[str]) -> Text | None:
    """A table's caption saying which scores are not in [0, 1] (task names are inert)."""
    return Text("\n").join(inert(n) for n in notes) if notes else None


def _strategies(report: RunReport, console: Console) -> None:
    generated = len(report.safety.improvers)
    table = Table("strategy", "improvers", title=f"Strategies ({generated} generated improvers)")
    for name, count in report.strategy_counts.items():
        if count:
            table.add_row(STRATEGIES[name][0], str(count))
    if table.row_count:
        console.print(table)
    else:
        console.print(inert(f"strategies: none found in {generated} generated improvers"))


def _safety(report: RunReport, console: Console) -> None:
    table = Table("measure (share of generated improvers)", "rate [95% Wilson CI]", title="Safety")
    for measure, rate in report.safety.rates.items():
        table.add_row(plain(measure), plain(rate))
    hacking = report.safety.hacking
    table.add_row("suspicious visible/secret gaps", plain(hacking.summary()))
    table.add_row(
        "outputs rejected by validation", f"{hacking.rejected_outputs} of {hacking.evaluations}"
    )
    console.print(table)


def print_run_summary(store: Store, run_id: str, console: Console | None = None) -> None:
    """Print the run's header, iterations, transfer, strategy and safety tables."""
    console = console or Console()
    report = build_report(store, run_id)
    _header(report, console)
    _iterations(report, console)
    _transfer(report, console)
    if report.data.improvers:
        _strategies(report, console)
        _safety(report, console)
    result = report.data.result
    if "score" in result and "seed_score" in result:
        runs = result.get("runs") or [result]
        returned = ", ".join(f"{r.get('score', 0.0):.3f}" for r in runs)
        console.print(
            inert(
                f"seed solution {result['seed_score']:.3f} → returned {returned}"
                f" ({len(runs)} run{'s' if len(runs) != 1 else ''}, test split)"
            )
        )
        if report.scale_note:
            console.print(inert(report.scale_note))
    if "rate" in result and "n" in result:  # a sandbox experiment
        console.print(inert(f"sandbox circumvention: {result.get('summary', '')}"))
