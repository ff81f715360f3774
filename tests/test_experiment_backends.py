"""The experiment on real backends: an OpenAI-compatible server, and the embedded model."""

import sys
from pathlib import Path

import pytest

from stop.experiment.config import resolve_config
from stop.experiment.runs import improve, self_improve
from stop.improvers import improver_source
from stop.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from standin_server import start_in_thread  # noqa: E402


@pytest.fixture
def standin():
    server, counters, url = start_in_thread(latency=0.05)
    yield counters, url
    server.shutdown()


def test_self_improvement_runs_over_an_openai_compatible_server(standin, tmp_path):
    counters, url = standin
    config = resolve_config(
        "demo",
        overrides=["iterations=1", "transfer_tasks=parity", "max_responses_per_call=2"],
        model=f"openai-compatible:{url}#standin",
    )
    store = Store(tmp_path / "runs.db")
    result = self_improve(config, store)
    assert store.get_run(result.run_id)["status"] == "finished"
    recorded = store.query(
        "SELECT COUNT(*) FROM lm_calls WHERE run_id = ? AND cache_hit = 0", (result.run_id,)
    )[0][0]
    assert recorded == counters.samples  # every sample the server served is in the store
    # the stand-in answers with an exact parity solver: the downstream runs find it
    assert result.secret[0].mean > 0.9
    assert result.transfer[0].mean > 0.9


@pytest.mark.model
def test_the_embedded_model_improves_a_task_end_to_end(tmp_path):
    config = resolve_config(
        "demo",
        overrides=["max_tokens=160", "max_responses_per_call=1", "utility_budget=2"],
    )
    store = Store(tmp_path / "runs.db")
    result = improve(config, store, "string_grid_distance", improver_source("seed"))
    run_id, seed_score, outcome = result.run_id, result.seed_score, result.outcome
    assert outcome.status == "ok"
    assert outcome.lm_calls == 1 and outcome.completion_tokens > 0
    assert outcome.solution  # the seed improver returns a program (the seed if nothing beat it)
    assert 0.0 <= outcome.score <= 1.0 and 0.0 <= seed_score <= 1.0
    texts = store.query("SELECT text FROM lm_calls WHERE run_id = ?", (run_id,))
    assert texts and texts[0][0].strip()
