"""The embedded model's batched sampling: exact samples whatever the batch, stops, grammars."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from stop.errors import LMError
from stop.lm.llamacpp import LlamaCppModel, shared_engine
from stop.lm.llamacpp_batch import BatchEngine, Stats
from stop.lm.llamacpp_seq import Sampling

pytestmark = pytest.mark.model

CHAT = [
    {"role": "system", "content": "You are a helpful expert Python programmer."},
    {"role": "user", "content": "Write a Python function that reverses a string."},
]
OTHER = [{"role": "user", "content": "Write a haiku about parity bits."}]


def texts(completions) -> list[str]:
    return [c.text for c in completions]


def test_the_same_request_drawn_batched_twice_gives_the_same_texts(local_model_path):
    lm = LlamaCppModel(local_model_path)
    first = lm.complete(CHAT, n=4, temperature=1.0, max_tokens=24)
    again = lm.complete(CHAT, n=4, temperature=1.0, max_tokens=24)
    assert texts(first) == texts(again)
    assert len(set(texts(first))) > 1  # different seeds, different samples


def test_a_sample_is_the_same_alone_as_in_a_batch(local_model_path):
    lm = LlamaCppModel(local_model_path)
    batch = lm.complete(CHAT, n=6, temperature=1.0, max_tokens=24)
    later = lm.complete(CHAT, n=3, temperature=1.0, max_tokens=24, first_sample=3)
    alone = lm.complete(CHAT, n=1, temperature=1.0, max_tokens=24, first_sample=4)
    assert texts(later) == texts(batch[3:])
    assert texts(alone) == texts(batch[4:5])


def test_concurrent_requests_join_one_batch_and_get_what_they_get_alone(local_model_path):
    lm = LlamaCppModel(local_model_path)
    alone = {
        "a": texts(lm.complete(CHAT, n=3, temperature=1.0, max_tokens=24)),
        "b": texts(lm.complete(OTHER, n=3, temperature=1.0, max_tokens=24, first_sample=7)),
    }
    together: dict[str, list[str]] = {}

    def ask(key: str, chat: list, first: int) -> None:
        together[key] = texts(
            lm.complete(chat, n=3, temperature=1.0, max_tokens=24, first_sample=first)
        )

    callers = [
        threading.Thread(target=ask, args=("a", CHAT, 0)),
        threading.Thread(target=ask, args=("b", OTHER, 7)),
    ]
    engine, _ = shared_engine(str(local_model_path))
    engine.stats = Stats()
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert together == alone
    assert engine.stats.peak_rows == 6  # both requests' samples in one decode pass


def test_a_cached_prompt_prefix_is_reused_and_changes_no_sample(local_model_path):
    long_system = "You are an expert programmer. " * 80  # well past one prefill chunk
    first = [{"role": "system", "content": long_system}, {"role": "user", "content": "Sort."}]
    second = [{"role": "system", "content": long_system}, {"role": "user", "content": "Sum."}]
    sampling = {"n": 2, "temperature": 1.0, "max_tokens": 16}
    lm = LlamaCppModel(local_model_path)
    engine, _ = shared_engine(str(local_model_path))
    lm.complete(first, **sampling)
    reused = engine.stats.reused_tokens
    warm = texts(lm.complete(second, **sampling))
    assert engine.stats.reused_tokens - reused >= 256

    fresh = BatchEngine(local_model_path)  # nothing cached: the whole prompt is evaluated
    try:
        prompt, _ = LlamaCppModel._prompt(fresh, fresh.formatter(), second)
        base = Sampling(0, 1.0, 16, 0.95, 40, 0.05, 1.0)
        request = fresh.generate(prompt, [base, dataclasses.replace(base, seed=1)], 60)
        cold = [request.draws[i].decoded() for i in range(2)]
    finally:
        fresh.close()
    assert cold == warm


def test_a_stop_string_ends_each_sample_where_it_first_appears(local_model_path):
    lm = LlamaCppModel(local_model_path, stop=["def "])
    for completion in lm.complete(CHAT, n=3, temperature=1.0, max_tokens=200):
        assert "def " not in completion.text
        assert completion.finish_reason == "stop"
        assert completion.completion_tokens < 200


def test_a_grammar_constrains_every_sample(local_model_path):
    lm = LlamaCppModel(local_model_path, grammar='root ::= ("yes" | "no") "."')
    answers = lm.complete(CHAT, n=3, temperature=1.0, max_tokens=8)
    assert {a.text for a in answers} <= {"yes.", "no."}
    assert all(a.finish_reason == "stop" for a in answers)


def test_an_invalid_grammar_is_a_clear_error(local_model_path):
    lm = LlamaCppModel(local_model_path, grammar="root ::= (unclosed")
    with pytest.raises(LMError, match="GBNF grammar"):
        lm.complete(CHAT, max_tokens=4)


def test_max_tokens_ends_a_sample_with_length(local_model_path):
    (completion,) = LlamaCppModel(local_model_path).complete(CHAT, max_tokens=5)
    assert (completion.completion_tokens, completion.finish_reason) == (5, "length")


def test_a_prompt_longer_than_the_context_window_is_a_clear_error(local_model_path):
    huge = [{"role": "user", "content": "word " * 5000}]
    with pytest.raises(LMError, match="context window is 4096"):
        LlamaCppModel(local_model_path).complete(huge, max_tokens=4)
