"""The improver-facing proxy: design §2's budget rules, exactly."""

from __future__ import annotations

import threading
import time
import tracemalloc

import pytest

from stop.errors import BudgetExceeded, LMError
from stop.lm import BudgetedLanguageModel, ScriptedModel


def numbered() -> ScriptedModel:
    """Answers 'message#sample' so tests can see which sample each answer is."""
    return ScriptedModel(lambda messages, index: f"{messages[-1]['content']}#{index}")


def proxy(model=None, **overrides) -> BudgetedLanguageModel:
    settings = {"budget": 4, "max_responses_per_call": 6, **overrides}
    return BudgetedLanguageModel(model or numbered(), **settings)


def test_batch_prompt_gives_one_answer_per_message_in_order():
    lm = proxy()
    assert lm.batch_prompt("expert", ["a", "b", "c"]) == ["a#0", "b#0", "c#0"]


def test_a_single_string_is_one_message():
    assert proxy().batch_prompt("expert", "a") == ["a#0"]


def test_expertise_is_the_system_message_and_the_message_the_user_turn():
    model = numbered()
    proxy(model).prompt("You are an expert.", "improve this")
    assert model.requests[0].messages == [
        {"role": "system", "content": "You are an expert."},
        {"role": "user", "content": "improve this"},
    ]


def test_identical_messages_get_different_sample_indices():
    assert proxy().batch_prompt("expert", ["a", "b", "a", "a"]) == ["a#0", "b#0", "a#1", "a#2"]


def test_prompt_with_n_responses_draws_n_samples():
    assert proxy().prompt("expert", "a", n_responses=3) == ["a#0", "a#1", "a#2"]


def test_asking_the_same_again_draws_new_samples():
    lm = proxy()
    lm.prompt("expert", "a", n_responses=2)
    assert lm.prompt("expert", "a") == ["a#2"]


def test_sample_base_offsets_every_sample_index():
    assert proxy(sample_base=100).prompt("expert", "a", n_responses=2) == ["a#100", "a#101"]


def test_temperature_and_max_tokens_reach_the_model():
    model = numbered()
    proxy(model, max_tokens=77).prompt("expert", "a", temperature=0.2)
    assert (model.requests[0].temperature, model.requests[0].max_tokens) == (0.2, 77)


def test_calls_past_the_budget_raise_budget_exceeded():
    lm = proxy(budget=2)
    lm.prompt("expert", "a")
    lm.batch_prompt("expert", ["b", "c"])
    with pytest.raises(BudgetExceeded, match="budget exhausted: all 2 calls are used"):
        lm.prompt("expert", "d")


def test_more_messages_than_max_responses_per_call_raise_budget_exceeded():
    lm = proxy(max_responses_per_call=6)
    with pytest.raises(BudgetExceeded, match="7 messages in one call, but at most 6"):
        lm.batch_prompt("expert", ["m"] * 7)
    assert lm.calls_used == 0


def test_violations_are_reported_before_raising():
    seen = []
    lm = proxy(budget=1, max_responses_per_call=2, on_violation=lambda k, p: seen.append((k, p)))
    with pytest.raises(BudgetExceeded):
        lm.prompt("expert", "a", n_responses=3)
    lm.prompt("expert", "a")
    with pytest.raises(BudgetExceeded):
        lm.prompt("expert", "a")
    assert [(kind, payload["rule"]) for kind, payload in seen] == [
        ("lm_budget", "responses_per_call"),
        ("lm_budget", "calls"),
    ]
    assert seen[1][1]["budget"] == 1 and seen[1][1]["calls_used"] == 1


def test_counters_track_calls_responses_and_tokens():
    lm = proxy()
    lm.batch_prompt("expert", ["aaaa", "bbbbbbbb"])
    lm.prompt("expert", "c", n_responses=3)
    assert (lm.calls_used, lm.responses_used) == (2, 5)
    assert lm.prompt_tokens > 0 and lm.completion_tokens > 0
    assert lm.cost_usd == 0.0  # the scripted model has no price


def test_an_empty_batch_costs_no_call():
    lm = proxy()
    assert lm.batch_prompt("expert", []) == []
    assert lm.calls_used == 0


def test_budget_and_limits_are_readable_like_in_original_stop():
    lm = proxy(budget=4, max_responses_per_call=6)
    assert (lm.budget, lm.max_responses_per_call) == (4, 6)


def test_concurrent_callers_never_exceed_the_budget():
    lm = proxy(budget=5)
    outcomes: list[str] = []

    def call(i: int) -> None:
        try:
            lm.prompt("expert", f"m{i}")
            outcomes.append("ok")
        except BudgetExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 15
    assert (lm.calls_used, lm.responses_used) == (5, 5)


def test_requests_in_one_batch_run_concurrently_up_to_the_limit():
    active, peak = 0, 0
    lock = threading.Lock()

    def slow(messages, index):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.2)
        with lock:
            active -= 1
        return "ok"

    lm = proxy(ScriptedModel(slow), concurrency=3)
    start = time.perf_counter()
    assert lm.batch_prompt("expert", ["a", "b", "c", "d", "e", "f"]) == ["ok"] * 6
    assert peak == 3
    assert time.perf_counter() - start < 1.0  # 2 rounds of 0.2 s, not 6


def test_a_huge_n_responses_is_refused_before_any_list_is_built():
    model = numbered()
    lm = proxy(model)
    tracemalloc.start()
    try:
        with pytest.raises(BudgetExceeded, match="100000000 messages in one call"):
            lm.prompt("expert", "a", n_responses=10**8)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak} bytes allocated"
    assert model.requests == [] and lm.calls_used == 0


@pytest.mark.parametrize("n", [-1, 1.5, "2", True, None], ids=repr)
def test_n_responses_must_be_a_non_negative_int(n):
    with pytest.raises(LMError, match="n_responses must be a non-negative int"):
        proxy().prompt("expert", "a", n_responses=n)


@pytest.mark.parametrize(
    "temperature", [float("nan"), float("inf"), -0.1, 2.01, "0.7", True, None], ids=repr
)
def test_a_temperature_outside_0_to_2_never_reaches_the_model(temperature):
    model = numbered()
    lm = proxy(model)
    with pytest.raises(LMError, match=r"temperature must be a finite number in \[0, 2\]"):
        lm.prompt("expert", "a", temperature=temperature)
    assert model.requests == [] and lm.calls_used == 0


@pytest.mark.parametrize("temperature", [0, 0.0, 1, 2.0])
def test_temperatures_from_0_to_2_are_accepted(temperature):
    model = numbered()
    proxy(model).prompt("expert", "a", temperature=temperature)
    assert model.requests[0].temperature == float(temperature)
