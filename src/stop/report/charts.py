"""Charts as inline SVG, drawn by matplotlib (Agg, no display needed).

Labels come from run ids and model strings that someone else chose, so each goes through
`label()`: matplotlib would read `$\\cmd$` as mathtext (and raise on an unknown command) and
drop a legend entry starting with `_`. Callers draw a chart only when it has data to show.

The SVG is trimmed for inlining in HTML: no XML prolog, no RDF metadata, no namespace URLs
(the HTML parser puts <svg> in the SVG namespace itself), so the report references nothing
outside itself.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: never try a display
import matplotlib.pyplot as plt  # noqa: E402

from stop.analysis.run_data import LMCallRecord  # noqa: E402
from stop.render.controls import visible  # noqa: E402

_PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
MAX_LABEL_CHARS = 60


def label(text: str) -> str:
    """`text` as matplotlib shows it literally: controls spelt out, `$` escaped (no mathtext),
    no leading `_` (which hides a legend entry), long labels shortened."""
    shown = visible(text).replace("\n", " ")
    if len(shown) > MAX_LABEL_CHARS:
        shown = shown[: MAX_LABEL_CHARS - 1] + "…"
    shown = shown.replace("$", r"\$")
    return " " + shown if shown.startswith("_") else shown


@dataclass(frozen=True)
class Series:
    """One line of points with optional symmetric error bars (95% CI half-widths)."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    err: tuple[float, ...] | None = None


def to_svg(figure: plt.Figure, salt: str) -> str:
    """The figure as an inline <svg> element (ids salted so charts on one page never clash)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "path"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    return svg.replace("<svg", f'<svg class="chart" data-chart="{salt}"', 1)


def _figure(title: str, xlabel: str, ylabel: str) -> tuple[plt.Figure, plt.Axes]:
    figure, axes = plt.subplots(figsize=(6.4, 3.4), dpi=100)
    axes.set_title(title, fontsize=11)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    return figure, axes


def lines_chart(
    series: Sequence[Series], *, title: str, xlabel: str, ylabel: str, salt: str
) -> str:
    """Lines (with CI error bars where given), e.g. meta-utility by iteration."""
    figure, axes = _figure(title, xlabel, ylabel)
    for index, s in enumerate(series):
        color = _PALETTE[index % len(_PALETTE)]
        axes.errorbar(
            s.x, s.y, yerr=s.err, label=label(s.label), color=color, marker="o", capsize=4
        )
    if all(len(s.x) and float(s.x[0]).is_integer() for s in series):
        axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8)
    return to_svg(figure, salt)


def usage_chart(calls: Sequence[LMCallRecord], *, salt: str) -> str:
    """Cumulative tokens (left axis) and dollars (right axis) over the run's wall time."""
    figure, axes = _figure("LM usage over time", "minutes since the first call", "tokens")
    start = calls[0].created_at
    minutes = [(c.created_at - start) / 60 for c in calls]
    tokens, cost, total_tokens, total_cost = [], [], 0, 0.0
    for c in calls:
        total_tokens += c.prompt_tokens + c.completion_tokens
        total_cost += c.cost_usd
        tokens.append(total_tokens)
        cost.append(total_cost)
    axes.step(minutes, tokens, where="post", color=_PALETTE[0], label="tokens")
    right = axes.twinx()
    right.step(minutes, cost, where="post", color=_PALETTE[1], label=r"cost \$")
    right.set_ylabel("cost (USD)")
    axes.legend(loc="upper left", fontsize=8)
    right.legend(loc="lower right", fontsize=8)
    return to_svg(figure, salt)


def bar_chart(groups: dict[str, dict[str, float]], *, title: str, ylabel: str, salt: str) -> str:
    """Grouped bars: category -> {series label -> value} (one series per run when comparing)."""
    figure, axes = _figure(title, "", ylabel)
    categories = list(groups)
    labels = list(dict.fromkeys(k for values in groups.values() for k in values))
    width = 0.8 / max(1, len(labels))
    for index, name in enumerate(labels):
        xs = [c + index * width for c in range(len(categories))]
        ys = [groups[category].get(name, 0) for category in categories]
        color = _PALETTE[index % len(_PALETTE)]
        axes.bar(xs, ys, width=width, label=label(name), color=color)
    axes.set_xticks([c + width * (len(labels) - 1) / 2 for c in range(len(categories))])
    axes.set_xticklabels([label(c) for c in categories], rotation=30, ha="right", fontsize=8)
    if len(labels) > 1:
        axes.legend(fontsize=8)
    return to_svg(figure, salt)
