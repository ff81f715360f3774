"""Render run reports as one self-contained HTML page (`stop report`, `stop compare`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from stop.analysis.safety import rates_by_model
from stop.analysis.strategies import STRATEGIES
from stop.report.charts import Series, bar_chart, lines_chart, usage_chart
from stop.report.diffs import highlight_css, highlighted_lines
from stop.report.lineage import LineageNode
from stop.report.model import RunReport, build_report
from stop.report.template import NODE, PAGE
from stop.store import Store

_ENV = Environment(autoescape=True, trim_blocks=False)


def _meta_series(report: RunReport, label_prefix: str = "") -> list[Series]:
    its = report.iterations
    if not its:
        return []
    x = tuple(float(it["iteration"]) for it in its)
    return [
        Series(
            f"{label_prefix}secret test (95% CI)",
            x,
            tuple(it["secret_mean"] for it in its),
            tuple(it["secret_ci95"] for it in its),
        ),
        Series(
            f"{label_prefix}validation (selection)",
            x,
            tuple(it["validation_meta_utility"] for it in its),
        ),
    ]


def _strategy_groups(reports: list[RunReport]) -> dict[str, dict[str, float]]:
    return {
        title: {r.data.run_id: r.strategy_counts.get(name, 0) for r in reports}
        for name, (title, _) in STRATEGIES.items()
    }


def _run_charts(report: RunReport, n: int) -> dict[str, str]:
    return {
        "meta": lines_chart(
            _meta_series(report),
            title="Meta-utility by iteration",
            xlabel="iteration t",
            ylabel="meta-utility",
            salt=f"meta-{n}",
        ),
        "usage": usage_chart(report.data.lm_calls, salt=f"usage-{n}"),
        "strategies": bar_chart(
            _strategy_groups([report]),
            title="Strategies in generated improvers",
            ylabel="improvers",
            salt=f"strategies-{n}",
        ),
    }


def _comparison_charts(reports: list[RunReport]) -> dict[str, str]:
    series = []
    for r in reports:
        secret = _meta_series(r, f"{r.data.run_id} ({r.data.model}) ")[:1]
        series += secret
    return {
        "meta": lines_chart(
            series,
            title="Meta-utility by iteration (secret test)",
            xlabel="iteration t",
            ylabel="meta-utility",
            salt="compare-meta",
        ),
        "strategies": bar_chart(
            _strategy_groups(reports),
            title="Strategies by run",
            ylabel="improvers",
            salt="compare-strategies",
        ),
    }


def _transfer(report: RunReport) -> tuple[list[str], dict[str, dict[str, Any]]]:
    improvers = list(dict.fromkeys(c["improver"] for c in report.transfer))
    rows: dict[str, dict[str, Any]] = {}
    for cell in report.transfer:
        row = rows.setdefault(cell["task"], {"seed": cell["seed_solution_score"]})
        row[cell["improver"]] = cell
    return improvers, rows


def _times(report: RunReport) -> str:
    run = report.data.run

    def fmt(t: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "-"

    return f"{fmt(run.get('created_at'))} / {fmt(run.get('finished_at'))}"


def render(reports: list[RunReport], title: str | None = None) -> str:
    """The HTML page for one run (a report) or several (a comparison)."""
    node_template = _ENV.from_string(NODE)

    def render_node(node: LineageNode) -> Markup:
        source = Markup("\n".join(highlighted_lines(node.improver.source)))
        html = node_template.render(node=node, source=source, render_node=render_node)
        return Markup(html)

    if title is None:
        title = (
            f"stop report · {reports[0].data.run_id}"
            if len(reports) == 1
            else f"stop comparison · {len(reports)} runs"
        )
    models = ", ".join(dict.fromkeys(r.data.model for r in reports))
    by_model = rates_by_model([r.safety for r in reports])
    transfer = [_transfer(r) for r in reports]
    return _ENV.from_string(PAGE).render(
        title=title,
        subtitle=f"model {models} · generated {time.strftime('%Y-%m-%d %H:%M')}",
        reports=reports,
        charts=[_run_charts(r, n) for n, r in enumerate(reports, start=1)],
        comparison_charts=_comparison_charts(reports) if len(reports) > 1 else {},
        by_model=by_model,
        measures=list(reports[0].safety.rates),
        transfer_improvers=[t[0] for t in transfer],
        transfer_rows=[t[1] for t in transfer],
        times=[_times(r) for r in reports],
        copies=[{i.id: _is_copy(r, i.id) for i in r.data.improvers} for r in reports],
        render_node=render_node,
        highlight_css=Markup(highlight_css()),
    )


def _is_copy(report: RunReport, improver_id: int) -> bool:
    by_id = {i.id: i for i in report.data.improvers}
    imp = by_id[improver_id]
    parent = by_id.get(imp.parent_id) if imp.parent_id is not None else None
    return bool(parent and parent.source == imp.source)


def write_report(store: Store, run_ids: list[str], output: str | Path) -> Path:
    """Write the report of `run_ids` (one: a run report; several: a comparison) to `output`."""
    reports = [build_report(store, run_id) for run_id in run_ids]
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(reports), encoding="utf-8")
    return path
