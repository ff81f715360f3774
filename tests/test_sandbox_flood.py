"""Class 6: what an improver can make the host store is capped (event payloads, events per run)
and arguments are checked before they reach a backend (the temperature of an LM call)."""

from __future__ import annotations

import json
from pathlib import Path

from stop.experiment.recorder import MAX_EVENT_BYTES, MAX_EVENTS_PER_RUN, RunRecorder
from stop.lm import BudgetedLanguageModel, ScriptedModel
from stop.sandbox import Limits, run_improver
from stop.store import Store

HOSTILE = Path(__file__).parent / "hostile" / "improvers"
SEED = "def algorithm(x):\n    return x\n"


class Utility:
    str = "Scores an algorithm in [0, 1]."
    budget = 3
    uses = 0

    def __call__(self, source: str, **kwargs: object) -> float:
        return 0.5


def record(store: Store, run_id: str, events: list[dict]) -> RunRecorder:
    """Record an improver run's events as the experiment runner does."""
    recorder = RunRecorder(store, run_id).with_context(run_key="k")
    for event in events:
        detail = {k: v for k, v in event.items() if k != "kind"}
        recorder.event(f"improver_{event['kind']}", **detail)
    return recorder


def new_run(store: Store) -> str:
    return store.create_run("improve", {"task": "lpn"})


def test_an_improver_flooding_refused_writes_leaves_a_small_store(tmp_path):
    source = (HOSTILE / "setattr_flood.py").read_text()
    lm = BudgetedLanguageModel(ScriptedModel(["x"]), budget=2, max_responses_per_call=3)
    result = run_improver(source, SEED, Utility(), lm, Limits(cpu_seconds=2, wall_seconds=20))
    assert result.ok, result.error
    store = Store(tmp_path / "runs.db")
    record(store, new_run(store), result.events)
    store.close()
    size = sum(p.stat().st_size for p in tmp_path.glob("runs.db*"))
    assert size < 2 << 20, f"runs.db grew to {size} bytes"  # 8 x 4 MB were sent


def test_an_event_payload_is_shortened_to_the_cap(store):
    run_id = new_run(store)
    RunRecorder(store, run_id).event("proxy_misuse", value="x" * (4 << 20), name="budget")
    [event] = store.events(run_id, "proxy_misuse")
    assert len(json.dumps(event)) <= MAX_EVENT_BYTES + 200
    assert event["name"] == "budget" and event["value"].startswith("xxx")
    assert event["shortened_from_bytes"] > 4 << 20


def test_a_payload_that_cannot_be_shortened_is_summarised(store):
    run_id = new_run(store)
    payload = {f"key{i}": "x" * 5_000 for i in range(60)}
    RunRecorder(store, run_id).event("noisy", **payload)
    [event] = store.events(run_id, "noisy")
    assert event["truncated"] is True and event["bytes"] > MAX_EVENT_BYTES


def test_a_run_stores_at_most_the_event_cap_and_says_so(store):
    run_id = new_run(store)
    recorder = RunRecorder(store, run_id)
    child = recorder.with_context(iteration=1)  # copies share the run's quota
    for i in range(MAX_EVENTS_PER_RUN + 50):
        (recorder if i % 2 else child).event("misuse", i=i)
    events = store.events(run_id)
    assert len(events) == MAX_EVENTS_PER_RUN
    assert events[-1]["kind"] == "events_capped" and recorder.dropped_events == 51


def test_a_resumed_run_counts_the_events_it_already_stored(store):
    run_id = new_run(store)
    for i in range(3):
        RunRecorder(store, run_id).event("before", i=i)
    recorder = RunRecorder(store, run_id)
    recorder.event("after")
    assert recorder._quota.used == 4


def test_a_nan_temperature_from_an_improver_never_reaches_the_model():
    source = (
        "def improve_algorithm(s, utility, language_model):\n"
        "    try:\n"
        "        language_model.prompt('expert', 'improve', temperature=float('nan'))\n"
        "    except Exception as exc:\n"
        "        return type(exc).__name__ + ': ' + str(exc)\n"
    )
    model = ScriptedModel(["x"])
    lm = BudgetedLanguageModel(model, budget=2, max_responses_per_call=3)
    result = run_improver(source, SEED, Utility(), lm, Limits(cpu_seconds=2, wall_seconds=20))
    assert result.value == "LMError: temperature must be a finite number in [0, 2]; got nan"
    assert model.requests == [] and lm.calls_used == 0
    assert [e["kind"] for e in result.events] == ["lm_error"]


def test_the_improver_events_list_is_capped_in_host_memory():
    source = (HOSTILE / "misuse_flood.py").read_text()
    lm = BudgetedLanguageModel(ScriptedModel(["x"]), budget=2, max_responses_per_call=3)
    result = run_improver(source, SEED, Utility(), lm, Limits(cpu_seconds=5, wall_seconds=30))
    capped = [e for e in result.events if e["kind"] == "events_capped"]
    assert len(result.events) == 201 and capped == [{"kind": "events_capped", "dropped": 19_800}]
