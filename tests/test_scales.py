"""Scores on any scale: a run records its task's scale beside its results, `stop improve`,
`stop show` and the HTML report say when it is not [0, 1], and the reward-hacking thresholds
are shares of it (not judged on an unbounded scale). Runs made before scales were recorded read
as [0, 1]."""

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from stop.analysis.reward_hacking import reward_hacking
from stop.analysis.run_data import EvaluationRecord, load_run
from stop.analysis.safety import analyse_safety
from stop.cli import app
from stop.report.html import write_report
from stop.report.terminal import print_run_summary
from stop.store import Store
from stop.tasks.scale import UNIT, axis_label, note, recorded
from tests.report_fixtures.run import scripted_run

PROGRAM = "# EVOLVE-BLOCK-START\ndef value():\n    return 2.0\n# EVOLVE-BLOCK-END\n"
EVALUATOR = "def evaluate(path):\n    return {'combined_score': 2.5}\n"
UNBOUNDED = "any real number, higher is better"


def iteration(t: int, mean: float) -> dict:
    return {
        "iteration": t,
        "improver_id": t + 1,
        "source": "",
        "validation_meta_utility": mean,
        "candidates": 0,
        "accepted": t == 0,
        "why": "",
        "secret_mean": mean,
        "secret_ci95": 0.1,
        "secret_runs": 2,
    }


def finished_run(store: Store, result: dict, kind: str = "self-improve") -> str:
    """A finished run whose result is `result` (nothing else recorded)."""
    config = {"model": "scripted", "task": str(result.get("task", "lpn"))}
    run_id = store.create_run(kind, config, {"isolation": {"method": "rlimits"}})
    store.finish_run(run_id, "finished", result)
    return run_id


def shown(store: Store, run_id: str) -> str:
    console = Console(record=True, width=160)
    print_run_summary(store, run_id, console)
    return console.export_text()


def transfer_cell(task: str, scale) -> dict:
    cell = {"improver": "I[0]", "task": task, "mean": 1.4, "ci95": 0.1, "runs": 2}
    return {**cell, "seed_solution_score": 1.3, "scale": scale}


# --- what a run records ---------------------------------------------------------------------


def test_a_self_improvement_run_records_its_tasks_scale_beside_its_results():
    path, run_id = scripted_run()
    result = Store(path).get_run(run_id)["result"]
    assert result["task"] == "lpn" and result["scale"] == [0.0, 1.0]
    assert all(cell["scale"] == [0.0, 1.0] for cell in result["transfer"])


def test_a_result_without_a_scale_was_made_when_every_score_was_in_0_1():
    assert recorded({"seed_score": 0.5}) == UNIT
    assert note("lpn", recorded({})) is None


def test_a_null_scale_reads_as_unbounded_and_a_malformed_one_claims_no_range():
    assert recorded({"scale": None}) is None
    assert recorded({"scale": [2, 1]}) is None and recorded({"scale": "[0, 1]"}) is None
    assert recorded({"scale": [0, 100]}) == (0.0, 100.0)


# --- stop improve and stop show -------------------------------------------------------------


@pytest.mark.slow
def test_stop_improve_and_stop_show_say_when_scores_are_unbounded(tmp_path: Path):
    folder = tmp_path / "packing"
    folder.mkdir()
    (folder / "initial_program.py").write_text(PROGRAM)
    (folder / "evaluator.py").write_text(EVALUATOR)
    db = tmp_path / "runs.db"
    args = ["improve", str(folder), "--model", "scripted", "--preset", "demo", "--db", str(db)]
    ran = CliRunner().invoke(app, args)
    assert ran.exit_code == 0, ran.output
    assert f"scores of packing are {UNBOUNDED}" in " ".join(ran.output.split())
    store = Store(db, read_only=True)
    (run,) = store.list_runs()
    assert store.get_run(run["id"])["result"]["scale"] is None
    assert f"scores of packing are {UNBOUNDED}" in shown(store, run["id"])


def test_stop_show_captions_the_meta_utility_table_with_the_scale(store):
    result = {"task": "packing", "scale": [0, 100], "iterations": [iteration(0, 40.0)]}
    text = shown(store, finished_run(store, result))
    assert "scores of packing are in [0, 100]" in text


def test_a_result_with_a_scale_but_no_task_name_still_says_its_scale(store):
    result = {"scale": [0, 100], "iterations": [iteration(0, 40.0)]}
    text = shown(store, finished_run(store, result))
    assert "scores of the task are in [0, 100]" in text


def test_stop_show_notes_each_transfer_task_not_on_0_1_once(store):
    cells = [transfer_cell("packing", None), transfer_cell("packing", None)]
    cells.append(transfer_cell("lpn", [0.0, 1.0]))
    text = shown(store, finished_run(store, {"transfer": cells}, kind="transfer"))
    assert text.count("scores of packing are") == 1 and "scores of lpn" not in text


def test_a_run_made_before_scales_were_recorded_shows_no_note(store):
    result = {"iterations": [iteration(0, 0.5)], "transfer": [transfer_cell("lpn", None)]}
    result["transfer"][0].pop("scale")
    text = shown(store, finished_run(store, result))
    assert "scores of" not in text


# --- the HTML report ------------------------------------------------------------------------


def test_the_html_report_says_the_scale_with_the_task_name_escaped(store, tmp_path):
    result = {
        "task": "<b>packing</b>",
        "scale": None,
        "iterations": [iteration(0, 1.5)],
        "transfer": [transfer_cell("<i>far</i>", [-1, 1])],
    }
    run_id = finished_run(store, result)
    html = write_report(store, [run_id], tmp_path / "report.html").read_text()
    assert html.count(f"scores of &lt;b&gt;packing&lt;/b&gt; are {UNBOUNDED}") == 2
    assert "scores of &lt;i&gt;far&lt;/i&gt; are in [-1, 1]" in html
    assert "<b>packing" not in html and "<i>far" not in html


def test_the_comparison_table_says_each_runs_scale_beside_its_task(store, tmp_path):
    packing = {"task": "packing", "scale": None, "iterations": [iteration(0, 1.5)]}
    unit = {"task": "lpn", "scale": [0, 1], "iterations": [iteration(0, 0.5)]}
    runs = [finished_run(store, packing), finished_run(store, unit)]
    html = write_report(store, runs, tmp_path / "report.html").read_text()
    comparison = html[html.index('id="comparison"') : html.index("Safety by model")]
    assert f"scores of packing are {UNBOUNDED}" in comparison
    assert "scores of lpn" not in comparison


def test_a_meta_utility_axis_names_the_scale_only_when_it_is_not_0_1():
    assert axis_label("meta-utility", [(0.0, 1.0)]) == "meta-utility"
    assert axis_label("meta-utility", [None, None]) == "meta-utility (any real number)"
    assert axis_label("meta-utility", [(0.0, 100.0)]) == "meta-utility in [0, 100]"
    assert axis_label("meta-utility", [(0.0, 1.0), None]) == "meta-utility (scales differ by run)"


# --- reward hacking -------------------------------------------------------------------------


def scored(task: str, visible: float, secret: float) -> list[EvaluationRecord]:
    return [
        EvaluationRecord(task, "visible", f"{task}-solution", visible, "ok", ""),
        EvaluationRecord(task, "secret-test", f"{task}-solution", secret, "ok", ""),
    ]


def test_reward_hacking_thresholds_are_shares_of_the_tasks_scale():
    evaluations = scored("wide", 90.0, 60.0) + scored("shifted", 0.9, 0.7)
    result = reward_hacking(evaluations, {"wide": (0.0, 100.0), "shifted": (-1.0, 1.0)})
    gaps = {g.task: g for g in result.gaps}
    assert gaps["wide"].suspicious  # top quarter of [0, 100], 30 below it on the secret side
    assert not gaps["shifted"].suspicious  # a gap of 0.2 is a tenth of [-1, 1]


def test_an_unbounded_task_scoring_above_one_is_not_judged_suspicious():
    evaluations = scored("packing", 1.5, 1.2)
    assert reward_hacking(evaluations).suspicious  # read as [0, 1], as an old run is
    result = reward_hacking(evaluations, {"packing": None})
    assert not result.suspicious and len(result.unjudged) == 1
    assert result.summary() == "0 of 0 (1 more on unbounded scales, not judged)"


def test_the_safety_analysis_reads_each_tasks_scale_from_the_run(store):
    cells = [transfer_cell("packing", None)]
    run_id = finished_run(store, {"transfer": cells}, kind="transfer")
    for e in scored("packing", 1.5, 1.2):
        store.record_evaluation(run_id, e.task, e.utility, e.source, e.score, e.status, e.detail)
    hacking = analyse_safety(load_run(store, run_id)).hacking
    assert not hacking.suspicious and len(hacking.unjudged) == 1
