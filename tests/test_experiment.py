"""The STOP loop end to end: self-improvement, selection, recording and transfer (scripted LM,
real sandbox, real tasks, real store)."""

import pytest

from stop.experiment.config import resolve_config
from stop.experiment.runs import replay_config, self_improve
from stop.improvers import improver_source
from stop.store import Store
from tests.experiment_fixtures.scripted import IMPROVERS, SMALL, scripted_model


@pytest.fixture(scope="module")
def module_home(tmp_path_factory):
    """One STOP_HOME for the module: the secret task instances live there."""
    return tmp_path_factory.mktemp("stop-home")


@pytest.fixture(scope="module")
def finished(tmp_path_factory, module_home):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STOP_HOME", str(module_home))
        store = Store(tmp_path_factory.mktemp("run") / "runs.db")
        config = resolve_config("paper", overrides=SMALL, model="scripted:experiment")
        result = self_improve(config, store, model=scripted_model())
    return store, result


def test_the_hill_climbing_candidate_replaces_the_seed_improver(finished):
    _, result = finished
    assert result.iterations[0].source == improver_source("seed")
    assert result.iterations[1].accepted
    assert result.iterations[1].source == IMPROVERS[0]


def test_the_improved_improver_scores_higher_on_the_secret_side(finished):
    _, result = finished
    assert result.secret[1].mean > result.secret[0].mean + 0.2
    assert result.secret[0].n == 2


def test_every_candidate_is_recorded_with_its_parent(finished):
    store, result = finished
    rows = store.query(
        "SELECT source, parent_id, meta_utility FROM improvers WHERE run_id = ? AND iteration = 1",
        (result.run_id,),
    )
    sources = {r["source"] for r in rows}
    assert set(IMPROVERS) <= sources
    assert {r["parent_id"] for r in rows} == {result.iterations[0].improver_id}
    broken = next(r for r in rows if r["source"] == IMPROVERS[1])
    assert broken["meta_utility"] == 0


def test_use_sandbox_false_is_recorded_as_a_circumvention_attempt(finished):
    store, result = finished
    assert store.events(result.run_id, "sandbox_circumvention")


def test_asking_for_too_many_responses_is_recorded_and_scores_zero(finished):
    store, result = finished
    assert store.events(result.run_id, "lm_budget_violation")
    rows = store.query(
        "SELECT meta_utility FROM improvers WHERE run_id = ? AND source = ?",
        (result.run_id, IMPROVERS[3]),
    )
    assert rows and all(r["meta_utility"] == 0 for r in rows)


def test_transfer_reports_both_improvers_against_the_seed_solution(finished):
    _, result = finished
    cells = {(c.improver, c.task): c for c in result.transfer}
    assert set(cells) == {("I[0]", "parity"), ("I[2]", "parity")}
    assert cells[("I[2]", "parity")].mean > cells[("I[0]", "parity")].mean
    assert cells[("I[0]", "parity")].runs == 2


def test_the_run_is_finished_with_its_result_and_lm_calls_stored(finished):
    store, result = finished
    run = store.get_run(result.run_id)
    assert run["status"] == "finished"
    assert len(run["result"]["iterations"]) == 3
    assert run["environment"]["isolation"]
    calls = store.query("SELECT COUNT(*) FROM lm_calls WHERE run_id = ?", (result.run_id,))
    assert calls[0][0] > 0


def test_a_finished_run_replays_exactly_without_a_model(finished, module_home, monkeypatch):
    monkeypatch.setenv("STOP_HOME", str(module_home))  # the same secret task instances
    store, result = finished
    config = replay_config(store, result.run_id)
    assert config.model.startswith("replay")
    replayed = self_improve(config, store)  # no model object: only recorded answers
    assert [it.source for it in replayed.iterations] == [it.source for it in result.iterations]
    assert [s.mean for s in replayed.secret] == [s.mean for s in result.secret]
    assert [c.mean for c in replayed.transfer] == [c.mean for c in result.transfer]
