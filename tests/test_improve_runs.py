"""`stop improve` with several independent runs: a mean with a 95% CI and a verdict."""

import pytest

from stop.experiment.commands import improve_verdict, improved_runs
from stop.experiment.config import resolve_config
from stop.experiment.outcomes import summarise_samples
from stop.experiment.runs import improve
from stop.improvers import improver_source
from stop.lm.scripted import ScriptedModel
from stop.store import Store
from stop.tasks import load_task
from tests.experiment_fixtures.scripted import BRUTE_FORCE, MAJORITY


def fence(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


def run(tmp_path, answers, runs=3):
    config = resolve_config(
        "paper",
        overrides=["lm_budget=1", "max_responses_per_call=2", f"improve_runs={runs}"],
        model="scripted",
    )
    store = Store(tmp_path / "runs.db")
    result = improve(config, store, "lpn", improver_source("seed"), model=ScriptedModel(answers))
    return store, result


@pytest.mark.slow
def test_each_run_is_independent_and_scored_on_the_test_split(tmp_path):
    _, result = run(tmp_path, [fence(BRUTE_FORCE)])
    assert len(result.outcomes) == 3
    assert len({o.key for o in result.outcomes}) == 3
    assert all(o.score > 0.9 for o in result.outcomes)


@pytest.mark.slow
def test_a_clear_gain_is_reported_above_the_seed_beyond_the_ci(tmp_path):
    _, result = run(tmp_path, [fence(BRUTE_FORCE)])
    assert result.estimate.mean - result.estimate.ci95 > result.seed_score
    assert "above the seed solution beyond the CI" in improve_verdict(result)


@pytest.mark.slow
def test_each_runs_gain_is_paired_over_the_test_instances_and_beats_the_noise(tmp_path):
    _, result = run(tmp_path, [fence(BRUTE_FORCE)], runs=2)
    for outcome in result.outcomes:
        gain = result.gain(outcome)
        assert gain.n == len(result.seed_instances) == len(outcome.per_instance)
        assert gain.mean - gain.ci95 > 0.3 and result.improved(outcome)
    assert result.seed_noise == 0.0  # LPN's scorer is deterministic
    assert improved_runs(result).startswith("2 of 2 runs (*)")


@pytest.mark.slow
def test_a_run_returning_the_seed_solution_is_not_improved(tmp_path):
    _, result = run(tmp_path, ["no code here"], runs=1)
    [outcome] = result.outcomes
    assert result.gain(outcome).mean == 0.0 and not result.improved(outcome)


@pytest.mark.slow
def test_no_gain_is_reported_as_no_better_and_the_samples_say_why(tmp_path):
    broken = "def algorithm(train_samples, train_parity, test_samples):\n    return nothing\n"
    store, result = run(tmp_path, [fence(broken)], runs=2)
    assert "no better than the seed solution" in improve_verdict(result)
    summary = summarise_samples(store, result.run_id, load_task("lpn").seed_solution)
    assert summary.samples == 4 and summary.valid == 0
    assert summary.failures == {"exception": 1}  # one distinct broken program, scored
    assert "1 exception" in summary.describe()


@pytest.mark.slow
def test_a_single_run_says_it_has_no_ci(tmp_path):
    _, result = run(tmp_path, [fence(MAJORITY)], runs=1)
    assert "no CI" in improve_verdict(result)


@pytest.mark.slow
def test_a_resumed_improve_redoes_only_the_missing_runs(tmp_path):
    store, first = run(tmp_path, [fence(BRUTE_FORCE)], runs=2)
    config = resolve_config(
        "paper",
        overrides=["lm_budget=1", "max_responses_per_call=2", "improve_runs=2"],
        model="scripted",
    )
    model = ScriptedModel([fence(MAJORITY)])
    again = improve(config, store, "lpn", improver_source("seed"), run_id=first.run_id, model=model)
    assert model.calls == 0
    assert [o.score for o in again.outcomes] == [o.score for o in first.outcomes]
