"""The report of a real (scripted) run: one self-contained HTML file with every section, the
comparison page, the terminal summary, export of every record, and the CLI commands."""

import csv
import json
import re
import sqlite3

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from stop.analysis.commands import register
from stop.analysis.judge import agreement, judge_prompt, judge_run, parse_verdict
from stop.analysis.run_data import load_run
from stop.analysis.strategies import label_names
from stop.lm.recorder import RecordingModel
from stop.lm.scripted import ScriptedModel
from stop.report.html import write_report
from stop.report.terminal import print_run_summary
from stop.store import Store
from tests.report_fixtures.run import scripted_run

# Anything that would make a browser fetch: a URL scheme, a protocol-relative src/href, @import,
# a CSS url() other than a fragment of the page itself (SVG clip paths are url(#id)).
EXTERNAL = re.compile(
    r"https?:|//[\w.-]+\.\w+/|(src|href)\s*=\s*[\"']?//|@import|url\(\s*[\"']?(?!#)", re.I
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path, run_id = scripted_run()
    return path, run_id


@pytest.fixture(scope="module")
def html(run, tmp_path_factory):
    path, run_id = run
    out = write_report(Store(path), [run_id], tmp_path_factory.mktemp("r") / "report.html")
    return out.read_text()


def test_the_report_references_nothing_outside_itself(html):
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "<script" not in html  # nothing to run: it opens anywhere, offline


def test_the_report_shows_config_environment_and_isolation(html, run):
    _, run_id = run
    assert run_id in html and "scripted:experiment" in html
    assert "network_namespace" in html and "lpn" in html


def test_the_report_has_every_section_and_three_charts(html):
    for section in ("meta-1", "transfer-1", "usage-1", "strategies-1", "safety-1", "lineage-1"):
        assert f'id="{section}"' in html
    assert html.count('<svg class="chart"') == 3
    assert "I[0] → I[1]" in html  # the diff of the accepted hill climber


def test_the_report_tables_carry_the_run_figures(html, run):
    path, run_id = run
    result = Store(path).get_run(run_id)["result"]
    for it in result["iterations"]:
        assert f"{it['secret_mean']:.3f} ± {it['secret_ci95']:.3f}" in html
    assert "parity" in html and "Hill climbing (l. 11, 32)" in html
    assert "1/4 = 25.00%" in html  # one of four generated improvers switched the sandbox off


def test_the_diff_is_side_by_side_and_highlighted(html):
    assert '<table class="diff hl">' in html
    assert '<tr class="insert">' in html or '<tr class="replace">' in html
    assert '<span class="k">for</span>' in html


def test_the_comparison_page_has_both_runs(run, tmp_path):
    path, run_id = run
    out = write_report(Store(path), [run_id, run_id], tmp_path / "compare.html")
    page = out.read_text()
    assert 'id="comparison"' in page and page.count('<svg class="chart"') == 8
    assert not EXTERNAL.search(page)


def test_the_terminal_summary_prints_the_key_tables(run):
    path, run_id = run
    console = Console(record=True, width=140)
    print_run_summary(Store(path), run_id, console)
    text = console.export_text()
    for heading in ("Meta-utility by iteration", "Transfer", "Strategies", "Safety"):
        assert heading in text
    assert "Hill climbing" in text and "sandbox disabled" in text


def test_export_jsonl_holds_every_record(run, tmp_path):
    path, run_id = run
    store = Store(path)
    app = typer.Typer()
    register(app)
    out = tmp_path / "run.jsonl"
    result = CliRunner().invoke(app, ["export", run_id, "--db", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    tables = {}
    for record in records:
        tables[record["table"]] = tables.get(record["table"], 0) + 1
    for table in ("improvers", "evaluations", "lm_calls", "events", "steps"):
        (count,) = store.query(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", (run_id,))[0]
        assert tables[table] == count > 0
    assert tables["runs"] == 1


def test_export_csv_writes_one_file_per_table(run, tmp_path):
    path, run_id = run
    app = typer.Typer()
    register(app)
    out = tmp_path / "csv"
    args = ["export", run_id, "--format", "csv", "--db", str(path), "-o", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    with (out / "improvers.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10 and {"source", "parent_id", "meta_utility"} <= set(rows[0])


def test_report_and_compare_commands_write_html(run, tmp_path):
    path, run_id = run
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", run_id, "--db", str(path), "-o", str(out)])
    assert result.exit_code == 0 and out.stat().st_size > 10_000
    result = runner.invoke(app, ["compare", run_id, "--db", str(path), "-o", str(tmp_path / "c")])
    assert result.exit_code != 0  # one run is not a comparison


def test_the_sandbox_experiment_command_runs_with_the_scripted_model(tmp_path):
    app = typer.Typer()
    register(app)
    args = ["experiment", "sandbox", "--model", "scripted", "--n", "3", "--db", str(tmp_path / "d")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "use_sandbox=False in 0/3" in result.output  # the echo model keeps the seed as is


def test_judge_verdicts_are_recorded_and_compared_with_static_labels(run, tmp_path):
    shared, run_id = run
    path = tmp_path / "judged.db"  # a copy: the judge adds LM calls and events to the run
    with sqlite3.connect(shared) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    store = Store(path)
    data = load_run(store, run_id)

    def answer(messages, index):  # a judge that calls every improver a hill climber
        return 'After reading it: ["hill_climbing", "not_a_strategy"]'

    model = RecordingModel(ScriptedModel(answer, name="scripted:judge"), store, run_id=run_id)
    before = store.query("SELECT COUNT(*) FROM lm_calls WHERE run_id = ?", (run_id,))[0][0]
    verdicts = judge_run(store, data, model)
    after = store.query("SELECT COUNT(*) FROM lm_calls WHERE run_id = ?", (run_id,))[0][0]
    assert after - before == 4 and set(verdicts.values()) == {frozenset({"hill_climbing"})}
    static = {i.id: label_names(i.source) for i in data.generated()}
    agree = agreement(static, verdicts)
    assert agree.improvers == 4 and agree.exact == 1
    out = write_report(store, [run_id], tmp_path / "judged.html").read_text()
    assert "<th>LM judge</th>" in out
    assert parse_verdict("no list here") is None and "beam_search" in judge_prompt("x = 1")
