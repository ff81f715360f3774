"""Scores on any scale: a run records its task's scale beside its results and `stop improve`
says when it is not [0, 1]. Runs made before scales were recorded read as [0, 1]."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stop.cli import app
from stop.store import Store
from stop.tasks.scale import UNIT, note, recorded
from tests.report_fixtures.run import scripted_run

PROGRAM = "# EVOLVE-BLOCK-START\ndef value():\n    return 2.0\n# EVOLVE-BLOCK-END\n"
EVALUATOR = "def evaluate(path):\n    return {'combined_score': 2.5}\n"
UNBOUNDED = "any real number, higher is better"


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


# --- stop improve --------------------------------------------------------------------------


@pytest.mark.slow
def test_stop_improve_says_when_scores_are_unbounded(tmp_path: Path):
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
