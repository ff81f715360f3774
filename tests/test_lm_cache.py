"""The recorder/cache and replay: every call recorded, reruns exact and free, misses explained."""

from __future__ import annotations

import pytest

from stop.errors import LMError, ReplayMiss
from stop.lm import BudgetedLanguageModel, ScriptedModel, open_model
from stop.lm.recorder import RecordingModel, request_key

CHAT = [
    {"role": "system", "content": "You are an expert."},
    {"role": "user", "content": "Improve this solution."},
]


def counting() -> ScriptedModel:
    return ScriptedModel(lambda messages, index: f"answer {index}")


def rows(store, where: str = "1", params: tuple = ()) -> list[dict]:
    return [
        dict(r) for r in store.query(f"SELECT * FROM lm_calls WHERE {where} ORDER BY id", params)
    ]


def test_the_same_request_is_answered_from_the_cache(store):
    model = counting()
    lm = RecordingModel(model, store)
    first = lm.complete(CHAT, n=2)
    again = lm.complete(CHAT, n=2)
    assert [c.text for c in again] == [c.text for c in first]
    assert all(c.cache_hit and c.cost_usd == 0.0 for c in again)
    assert model.calls == 2


def test_a_different_temperature_misses_the_cache(store):
    model = counting()
    lm = RecordingModel(model, store)
    lm.complete(CHAT, temperature=0.7)
    assert not lm.complete(CHAT, temperature=0.2)[0].cache_hit
    assert model.calls == 2


def test_a_different_sample_index_misses_the_cache(store):
    model = counting()
    lm = RecordingModel(model, store)
    lm.complete(CHAT, first_sample=0)
    assert not lm.complete(CHAT, first_sample=1)[0].cache_hit
    assert model.calls == 2


def test_keys_differ_in_each_part_of_the_request():
    base = ("m", CHAT, 0.7, 1024, 0)
    variants = [
        ("other", CHAT, 0.7, 1024, 0),
        ("m", CHAT[:1], 0.7, 1024, 0),
        ("m", CHAT, 0.8, 1024, 0),
        ("m", CHAT, 0.7, 512, 0),
        ("m", CHAT, 0.7, 1024, 1),
    ]
    assert len({request_key(*v) for v in [base, *variants]}) == 6
    assert request_key("m", CHAT, 0.7, 1024, 0) == request_key("m", CHAT, 0.70, 1024, 0)


def test_only_missing_samples_are_generated(store):
    model = counting()
    lm = RecordingModel(model, store)
    lm.complete(CHAT, n=2)
    answers = lm.complete(CHAT, n=4)
    assert [c.cache_hit for c in answers] == [True, True, False, False]
    assert [r.sample_index for r in model.requests] == [0, 1, 2, 3]


def test_cache_off_always_asks_the_model(store):
    model = counting()
    lm = RecordingModel(model, store, cache=False)
    lm.complete(CHAT)
    assert not lm.complete(CHAT)[0].cache_hit
    assert model.calls == 2


def test_every_sample_is_recorded_with_its_run_id(store):
    lm = open_model("scripted", store=store, run_id="run-1")
    lm.complete(CHAT, n=2, temperature=0.5, max_tokens=64)
    recorded = rows(store)
    assert [(r["run_id"], r["sample_index"], r["cache_hit"]) for r in recorded] == [
        ("run-1", 0, 0),
        ("run-1", 1, 0),
    ]
    assert recorded[0]["temperature"] == 0.5 and recorded[0]["max_tokens"] == 64
    assert "Improve this solution." in recorded[0]["messages_json"]
    assert recorded[0]["text"] and recorded[0]["latency_s"] is not None


def test_cache_hits_are_recorded_as_hits(store):
    lm = open_model("scripted", store=store)
    lm.complete(CHAT)
    lm.complete(CHAT)
    assert [r["cache_hit"] for r in rows(store)] == [0, 1]


def test_a_rerun_from_the_cache_is_exact_and_costs_nothing(store):
    def improver(lm: BudgetedLanguageModel) -> list[str]:
        first = lm.prompt("expert", "write code", n_responses=3)
        return first + lm.batch_prompt("expert", ["refine " + first[0], "write code"])

    def run(model) -> tuple[list[str], BudgetedLanguageModel]:
        lm = BudgetedLanguageModel(RecordingModel(model, store), budget=4, max_responses_per_call=6)
        return improver(lm), lm

    fresh = ScriptedModel(lambda messages, index: f"{messages[-1]['content']} v{index}")
    first, _ = run(fresh)
    rerun_model = ScriptedModel(["must not be asked"], cycle=False)
    second, lm = run(rerun_model)
    assert second == first
    assert rerun_model.calls == 0 and lm.cost_usd == 0.0


def test_a_failed_call_records_its_error_and_no_answers(store):
    lm = RecordingModel(ScriptedModel(["only one"], cycle=False), store)
    with pytest.raises(LMError, match="ran out of responses"):
        lm.complete(CHAT, n=3)
    recorded = rows(store)
    assert len(recorded) == 3
    assert all(r["text"] is None and "ran out of responses" in r["error"] for r in recorded)


def test_a_failed_call_is_not_served_from_the_cache(store):
    with pytest.raises(LMError):
        RecordingModel(ScriptedModel(["x"], cycle=False), store).complete(CHAT, n=2)
    answers = RecordingModel(counting(), store).complete(CHAT, n=2)
    assert [c.cache_hit for c in answers] == [False, False]


def test_replay_answers_exactly_what_was_recorded(store):
    recorded = open_model("scripted", store=store).complete(CHAT, n=2)
    replayed = open_model("replay", store=store).complete(CHAT, n=2)
    assert [c.text for c in replayed] == [c.text for c in recorded]
    assert all(c.cache_hit for c in replayed)


def test_replay_of_a_named_model_uses_only_its_recordings(store):
    open_model("scripted", store=store).complete(CHAT)
    with pytest.raises(ReplayMiss, match="from local:qwen2.5-coder-0.5b-instruct"):
        open_model("replay:local", store=store).complete(CHAT)


def test_a_replay_miss_names_the_model_the_message_and_the_sample_index(store):
    open_model("scripted", store=store).complete(CHAT, n=1)
    with pytest.raises(ReplayMiss) as caught:
        open_model("replay", store=store).complete(CHAT, n=2)
    message = str(caught.value)
    assert "any model" in message
    assert "user: 'Improve this solution.'" in message
    assert "sample 1" in message
    assert "temperature=0.7" in message
