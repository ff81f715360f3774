"""The report shows hostile runs whole and inert: every line of model-written code, invisible
characters named, odd labels literal, deep lineages and long diffs bounded, no empty charts."""

import io
import re

import pytest
from rich.console import Console

from stop.experiment.recorder import RunRecorder
from stop.report.diffs import MAX_LINES, side_by_side
from stop.report.html import write_report
from stop.report.terminal import print_run_summary
from stop.store import Store

SEED = (
    "def improve_algorithm(initial_solution, utility, language_model):\n"
    "    return initial_solution\n"
)
ESC = "\x1b]0;pwned\x07\x1b[2J"


def make_run(store: Store, improvers=(), result=None, **config) -> str:
    """A finished run whose improvers are (iteration, source, parent index or None, chosen)."""
    config = {"model": "scripted", "task": "lpn", **config}
    run_id = store.create_run("self-improve", config, {"isolation": {"method": "rlimits"}})
    recorder, ids = RunRecorder(store, run_id), []
    for iteration, source, parent, chosen in improvers:
        parent_id = ids[parent] if parent is not None else None
        ids.append(recorder.improver(iteration, source, parent_id, 0.5))
        if chosen:
            recorder.choose_improver(ids[-1])
    store.finish_run(run_id, "finished", result or {})
    return run_id


def report(store: Store, tmp_path, *run_ids: str) -> str:
    return write_report(store, list(run_ids), tmp_path / "report.html").read_text()


def listing(html: str) -> str:
    """The text of every lineage source listing, tags removed."""
    blocks = re.findall(r'<pre class="src hl">(.*?)</pre>', html, flags=re.S)
    return "\n".join(re.sub(r"<[^>]+>", "", b) for b in blocks)


def test_a_bare_carriage_return_does_not_hide_the_line_after_it(store, tmp_path):
    hidden = SEED.replace("\n    return", "\r    score = utility(s, use_sandbox=False)\r    return")
    run_id = make_run(store, [(0, SEED, None, True), (1, hidden, 0, True)])
    html = report(store, tmp_path, run_id)
    assert "score = utility(s, use_sandbox=False)" in listing(html)
    assert listing(html).count("\n") >= 2 * 3  # both sources, every line on its own


def test_a_bidi_override_in_code_is_shown_boxed_not_applied(store, tmp_path):
    source = SEED.replace("return", "return  # \u202eeslaF=xobdnas_esu")
    run_id = make_run(store, [(0, SEED, None, True), (1, source, 0, True)])
    html = report(store, tmp_path, run_id)
    assert "\u202e" not in html
    assert '<span class="ctl" title="U+202E RIGHT-TO-LEFT OVERRIDE">\\u202e</span>' in html


def test_invisible_characters_in_config_text_are_spelt_out(store, tmp_path):
    run_id = make_run(store, task="lpn\u2066\u200b", model="m\x1b[31m")
    html = report(store, tmp_path, run_id)
    assert "lpn\\u2066\\u200b" in html and "m\\x1b[31m" in html
    assert "\u2066" not in html and "\x1b" not in html


def test_a_mathtext_model_name_is_drawn_literally_in_the_comparison_legend(store, tmp_path):
    result = {
        "iterations": [
            {
                "iteration": 0,
                "secret_mean": 0.5,
                "secret_ci95": 0.1,
                "secret_runs": 2,
                "validation_meta_utility": 0.5,
                "candidates": 0,
                "accepted": False,
            }
        ]
    }
    a = make_run(store, result=result, model=r"$\evil{x}$ _hidden")
    b = make_run(store, result=result, model="$x^2$")
    html = report(store, tmp_path, a, b)
    assert html.count('<svg class="chart"') >= 1


def test_a_lineage_199_deep_is_listed_in_full(store, tmp_path):
    chain = [(0, SEED, None, True)]
    chain += [(i, SEED + f"# v{i}\n", i - 1, True) for i in range(1, 199)]
    run_id = make_run(store, chain)
    html = report(store, tmp_path, run_id)
    assert html.count('<details class="node"') == 199
    assert html.count("<details") == html.count("</details>")


def test_parent_links_forming_a_cycle_still_list_every_improver(store, tmp_path):
    run_id = make_run(store, [(1, SEED, None, False), (1, SEED + "#b\n", 0, False)])
    first, second = (r["id"] for r in store.query("SELECT id FROM improvers ORDER BY id"))
    with store.transaction() as conn:
        conn.execute("UPDATE improvers SET parent_id = ? WHERE id = ?", (second, first))
    html = report(store, tmp_path, run_id)
    assert html.count('<details class="node"') == 2


def test_a_long_diff_is_truncated_with_a_note():
    old = "\n".join(("" if i % 2 else f"a{i} = {i}") for i in range(MAX_LINES + 500))
    new = "\n".join(("" if i % 2 else f"b{i} = {i}") for i in range(MAX_LINES + 500))
    diff = side_by_side(old, new)
    assert len(diff.rows) <= 2 * MAX_LINES
    assert "diff truncated" in diff.note and f"{MAX_LINES + 500} and {MAX_LINES + 500}" in diff.note


def test_a_very_long_line_is_cut_in_the_diff():
    diff = side_by_side("x = 1\n", "x = '" + "a" * 100_000 + "'\n")
    assert max(len(row.new_html) for row in diff.rows) < 20_000
    assert "diff truncated" in diff.note


def test_a_short_diff_shows_every_line_without_a_note():
    diff = side_by_side(SEED, SEED.replace("return", "return 1 or"))
    assert diff.note == "" and len(diff.rows) == 3


def test_the_diff_pairs_lines_after_a_bare_carriage_return():
    diff = side_by_side("a = 1\rb = 2\n", "a = 1\nb = 3\n")
    assert [(r.tag, r.old_number, r.new_number) for r in diff.rows] == [
        ("equal", 1, 1),
        ("replace", 2, 2),
        ("equal", 3, 3),
    ]


def test_a_transfer_improver_named_seed_does_not_collide_with_the_seed_solution(store, tmp_path):
    cell = {"task": "parity", "mean": 0.6, "ci95": 0.1, "runs": 2, "seed_solution_score": 0.5}
    result = {"transfer": [{**cell, "improver": "seed"}, {**cell, "improver": "I[1]"}]}
    run_id = make_run(store, result=result)
    html = report(store, tmp_path, run_id)
    assert "<th>seed</th>" in html and "0.600 ± 0.100" in html and ">0.500<" in html


def test_a_run_without_strategies_says_so_instead_of_an_empty_chart(store, tmp_path):
    run_id = make_run(store, [(0, SEED, None, True), (1, SEED + "x = 1\n", 0, True)])
    html = report(store, tmp_path, run_id)
    strategies = html[html.index('id="strategies-1"') : html.index('id="safety-1"')]
    assert "<svg" not in strategies
    assert "none of the 1 generated improvers matched a known strategy" in strategies


def test_a_run_without_lm_calls_has_no_usage_chart(store, tmp_path):
    html = report(store, tmp_path, make_run(store))
    usage = html[html.index('id="usage-1"') : html.index('id="strategies-1"')]
    assert "<svg" not in usage and "recorded no LM calls" in usage


def test_the_terminal_summary_spells_out_escape_sequences(store):
    cell = {"task": f"evil{ESC}", "mean": 0.6, "ci95": 0.1, "runs": 2, "seed_solution_score": 0.5}
    result = {"transfer": [{**cell, "improver": "[/x] [link=http://e.example]I[/link]"}]}
    run_id = make_run(store, result=result, task=f"t{ESC}", model="[bold]m")
    out = io.StringIO()
    print_run_summary(store, run_id, Console(file=out, width=200, force_terminal=True))
    text = out.getvalue()
    assert "pwned" in text and "\x1b]0;" not in text and "\x07" not in text
    assert "[link=http://e.example]" in text and "\x1b]8;" not in text


@pytest.mark.parametrize("text", ["[/x]", "[bold", "\\", ":warning:"])
def test_markup_in_a_run_id_is_text_in_the_summary(store, text):
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO runs (id, kind, status, config_json, created_at)"
            " VALUES (?, 'improve', 'finished', '{}', 0)",
            (f"run{text}",),
        )
    out = io.StringIO()
    print_run_summary(store, f"run{text}", Console(file=out, width=200))
    assert f"run{text}" in out.getvalue()
