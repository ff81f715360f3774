"""Render run reports as one self-contained HTML page (`stop report`, `stop compare`).

Every `{{ value }}` goes through `stop.render.html.finalize` (invisible characters spelt out)
and Jinja's autoescape; code goes through `highlighted_lines` (every line kept, controls boxed).
A chart with nothing to show is replaced by a sentence saying why.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from stop.analysis.safety import rates_by_model
from stop.analysis.strategies import STRATEGIES
from stop.errors import StopError
from stop.render.html import CSS as CONTROL_CSS
from stop.render.html import finalize
from stop.report.charts import Series, bar_chart, lines_chart, usage_chart
from stop.report.diffs import highlight_css, highlighted_lines
from stop.report.lineage import LineageRow
from stop.report.model import RunReport, build_report
from stop.report.template import NODE, PAGE
from stop.store import Store
from stop.tasks.scale import axis_label

_ENV = Environment(autoescape=True, trim_blocks=False, finalize=finalize)
MAX_INDENT = 24  # deeper lineage levels are drawn at this indent (the depth is printed instead)


def _note(text: str) -> Markup:
    """What a chart with nothing to show is replaced by."""
    return Markup('<p class="muted nodata">{}</p>').format(text)


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


def _strategy_chart(reports: list[RunReport], title: str, salt: str) -> Markup:
    generated = sum(len(r.safety.improvers) for r in reports)
    if not any(any(r.strategy_counts.values()) for r in reports):
        if not generated:
            return _note(
                "No strategy chart: no improver was generated, so there is nothing to label."
            )
        return _note(
            f"No strategy chart: none of the {generated} generated improvers matched a known "
            "strategy (static labels)."
        )
    groups = _strategy_groups(reports)
    return Markup(bar_chart(groups, title=title, ylabel="improvers", salt=salt))


def _run_charts(report: RunReport, n: int) -> dict[str, Markup]:
    meta = _meta_series(report)
    calls = report.data.lm_calls
    return {
        "meta": Markup(
            lines_chart(
                meta,
                title="Meta-utility by iteration",
                xlabel="iteration t",
                ylabel=axis_label("meta-utility", [report.scale]),
                salt=f"meta-{n}",
            )
        )
        if meta
        else _note("No meta-utility chart: the run recorded no iterations."),
        "usage": Markup(usage_chart(calls, salt=f"usage-{n}"))
        if calls
        else _note("No usage chart: the run recorded no LM calls."),
        "strategies": _strategy_chart(
            [report], "Strategies in generated improvers", f"strategies-{n}"
        ),
    }


def _comparison_charts(reports: list[RunReport]) -> dict[str, Markup]:
    series = []
    for r in reports:
        series += _meta_series(r, f"{r.data.run_id} ({r.data.model}) ")[:1]
    meta = (
        Markup(
            lines_chart(
                series,
                title="Meta-utility by iteration (secret test)",
                xlabel="iteration t",
                ylabel=axis_label("meta-utility", [r.scale for r in reports if r.iterations]),
                salt="compare-meta",
            )
        )
        if series
        else _note("No meta-utility chart: none of these runs recorded iterations.")
    )
    return {
        "meta": meta,
        "strategies": _strategy_chart(reports, "Strategies by run", "compare-strategies"),
    }


def _transfer(report: RunReport) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """(improver names, task -> {"seed_solution": score, "cells": improver -> cell}); the seed
    solution's score is kept apart from the cells, since an improver may be called "seed"."""
    improvers = list(dict.fromkeys(c["improver"] for c in report.transfer))
    rows: dict[str, dict[str, Any]] = {}
    for cell in report.transfer:
        row = rows.setdefault(
            cell["task"], {"seed_solution": cell["seed_solution_score"], "cells": {}}
        )
        row["cells"][cell["improver"]] = cell
    return improvers, rows


def _times(report: RunReport) -> str:
    run = report.data.run

    def fmt(t: float | None) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "-"

    return f"{fmt(run.get('created_at'))} / {fmt(run.get('finished_at'))}"


def render(reports: list[RunReport], title: str | None = None) -> str:
    """The HTML page for one run (a report) or several (a comparison)."""
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
        lineages=[_lineage_html(r.tree) for r in reports],
        highlight_css=Markup(highlight_css() + CONTROL_CSS),
    )


def _lineage_html(rows: tuple[LineageRow, ...]) -> Markup:
    """The lineage as nested <details>, written in one pass with no recursion: a row opens its
    element, which is closed once the rows below it (deeper ones) are done."""
    template = _ENV.from_string(NODE)
    parts: list[str] = []
    depth = -1
    for row in rows:
        parts.append("</details>" * (depth - row.depth + 1))
        source = Markup("\n".join(highlighted_lines(row.improver.source)))
        indent = "" if row.depth <= MAX_INDENT else ' style="margin-left:0"'
        parts.append(template.render(row=row, source=source, indent=Markup(indent)))
        depth = row.depth
    parts.append("</details>" * (depth + 1))
    return Markup("".join(parts))


def _is_copy(report: RunReport, improver_id: int) -> bool:
    by_id = {i.id: i for i in report.data.improvers}
    imp = by_id[improver_id]
    parent = by_id.get(imp.parent_id) if imp.parent_id is not None else None
    return bool(parent and parent.source == imp.source)


def write_report(store: Store, run_ids: list[str], output: str | Path) -> Path:
    """Write the report of `run_ids` (one: a run report; several: a comparison) to `output`."""
    reports = [build_report(store, run_id) for run_id in run_ids]
    page = render(reports)
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise StopError(f"cannot write the report {path}: {exc.strerror or exc}; pass -o") from exc
    return path
