"""The real embedded model: in process, behind a real llama.cpp server, and a server that dies."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from stop.errors import LMUnavailable
from stop.lm import open_model
from stop.lm.recorder import RecordingModel

pytestmark = pytest.mark.model

CHAT = [
    {"role": "system", "content": "You are a helpful expert Python programmer."},
    {"role": "user", "content": "Write a Python function that reverses a string."},
]


def test_the_local_backend_generates_from_the_embedded_model(local_model_path):
    (completion,) = open_model("local").complete(CHAT, max_tokens=8)
    assert completion.text.strip()
    assert 0 < completion.completion_tokens <= 8
    assert completion.prompt_tokens > 10
    assert completion.finish_reason in ("length", "stop")


def test_the_local_backend_gives_the_same_sample_for_the_same_index(local_model_path):
    lm = open_model("local")
    base = 7 * 10**12  # as large as the proxy's sample_base gets: wider than a llama.cpp seed
    both = lm.complete(CHAT, n=2, temperature=1.0, max_tokens=12, first_sample=base)
    again = lm.complete(CHAT, n=1, temperature=1.0, max_tokens=12, first_sample=base + 1)
    assert again[0].text == both[1].text


def test_the_local_backend_stops_at_its_time_limit(local_model_path):
    lm = open_model("local", timeout_s=0.3)
    start = time.monotonic()
    with pytest.raises(LMUnavailable, match="did not finish within the 0.3s limit"):
        lm.complete(CHAT, max_tokens=1000)
    assert time.monotonic() - start < 5


def test_the_openai_compatible_backend_talks_to_a_real_llama_server(llama_server):
    lm = open_model(f"openai-compatible:{llama_server}#qwen")
    answers = lm.complete(CHAT, n=2, temperature=1.0, max_tokens=12)
    assert len(answers) == 2  # the server ignores n: the backend asked again
    assert all(a.text.strip() and 0 < a.completion_tokens <= 12 for a in answers)
    assert answers[0].cost_usd is None


def test_a_killed_server_gives_a_clear_error_and_leaves_nothing_half_written(
    llama_server_factory, store
):
    process, url = llama_server_factory()
    lm = open_model(f"openai-compatible:{url}#qwen", store=store, timeout_s=60)
    lm.complete(CHAT, max_tokens=4)
    outcome: dict[str, BaseException] = {}

    def long_call() -> None:
        try:
            lm.complete(CHAT, n=2, temperature=0.9, max_tokens=500)
        except BaseException as exc:  # noqa: BLE001 (the test inspects it)
            outcome["error"] = exc

    caller = threading.Thread(target=long_call)
    caller.start()
    time.sleep(1.0)  # the request is being generated
    os.killpg(process.pid, signal.SIGKILL)
    caller.join(timeout=60)
    assert isinstance(outcome.get("error"), LMUnavailable)
    assert f"cannot reach the openai-compatible backend at {url}" in str(outcome["error"])
    assert isinstance(lm, RecordingModel)
    rows = store.query("SELECT max_tokens, text, error FROM lm_calls ORDER BY id")
    assert [(r["max_tokens"], r["text"] is not None) for r in rows] == [
        (4, True),
        (500, False),
        (500, False),
    ]
    assert all(r["error"] for r in rows[1:])
    assert store.query("PRAGMA integrity_check")[0][0] == "ok"
