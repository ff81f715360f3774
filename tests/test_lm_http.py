"""The HTTP backends against real sockets: a closed port, and a Messages API stand-in server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from stop.errors import LMUnavailable
from stop.lm import BudgetedLanguageModel, open_model
from tests.http_helpers import JSONHandler, serving

CHAT = [
    {"role": "system", "content": "You are an expert."},
    {"role": "user", "content": "Say hi."},
]
SECRET = "sk-ant-test-secret-0123456789"


class StandIn:
    """A tiny Anthropic Messages API: records requests, answers from a queue of (status, body)
    or, when the queue is empty, with a normal message."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.queue: list[tuple[int, dict]] = []
        self.lock = threading.Lock()

    def answer(self, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(body)
            if self.queue:
                return self.queue.pop(0)
            number = len(self.requests)
        return 200, {
            "id": f"msg_{number}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": f"hello {number}"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1000, "output_tokens": 100},
        }


@pytest.fixture
def anthropic_server(monkeypatch) -> Iterator[StandIn]:
    stand_in = StandIn()

    class Handler(JSONHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.body()
            stand_in.headers.append({k.lower(): v for k, v in self.headers.items()})
            self.send_json(*stand_in.answer(body))

    with serving(Handler) as root:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", root)
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
        yield stand_in


def test_an_unreachable_server_gives_one_clear_error(free_tcp_port):
    port = free_tcp_port
    lm = open_model(f"openai-compatible:http://127.0.0.1:{port}/v1#m", timeout_s=20)
    start = time.monotonic()
    with pytest.raises(LMUnavailable) as caught:
        lm.complete(CHAT)
    message = str(caught.value)
    assert f"cannot reach the openai-compatible backend at http://127.0.0.1:{port}/v1" in message
    assert "check that the server is running" in message
    assert time.monotonic() - start < 15  # a few quick retries, not the whole time limit


def test_the_anthropic_backend_returns_text_tokens_and_cost(anthropic_server):
    lm = open_model("anthropic:claude-3-5-sonnet-latest")
    (completion,) = lm.complete(CHAT, temperature=0.3, max_tokens=50)
    assert completion.text == "hello 1"
    assert (completion.prompt_tokens, completion.completion_tokens) == (1000, 100)
    assert completion.finish_reason == "stop"
    assert completion.cost_usd == pytest.approx((1000 * 3 + 100 * 15) / 1e6)


def test_the_anthropic_backend_sends_system_as_its_own_field(anthropic_server):
    open_model("anthropic:claude-3-5-haiku-latest").complete(CHAT, temperature=0.3, max_tokens=50)
    sent = anthropic_server.requests[0]
    assert sent["system"] == "You are an expert."
    assert sent["messages"] == [{"role": "user", "content": "Say hi."}]
    assert (sent["temperature"], sent["max_tokens"]) == (0.3, 50)
    sent_headers = anthropic_server.headers[0]
    assert SECRET in (sent_headers.get("x-api-key", ""), sent_headers.get("authorization", "")[7:])


def test_the_anthropic_backend_makes_n_requests_for_n_samples(anthropic_server):
    answers = open_model("anthropic:claude-3-5-haiku-latest").complete(CHAT, n=3)
    assert sorted(c.text for c in answers) == ["hello 1", "hello 2", "hello 3"]


def test_an_overloaded_server_is_retried(anthropic_server):
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    anthropic_server.queue += [(529, overloaded), (500, overloaded)]
    (completion,) = open_model("anthropic:claude-3-5-haiku-latest").complete(CHAT)
    assert completion.text == "hello 3"


def test_a_bad_key_names_the_variable_and_never_the_key(anthropic_server):
    denied = {"type": "error", "error": {"type": "authentication_error", "message": "bad key"}}
    anthropic_server.queue.append((401, denied))
    with pytest.raises(LMUnavailable) as caught:
        open_model("anthropic:claude-3-5-haiku-latest").complete(CHAT)
    message = str(caught.value)
    assert "rejected the key in $ANTHROPIC_API_KEY (HTTP 401)" in message
    assert SECRET not in message


def test_keys_are_never_written_to_the_store(anthropic_server, store):
    open_model("anthropic:claude-3-5-haiku-latest", store=store).complete(CHAT, n=2)
    store.close()
    for path in store.path.parent.glob("runs.db*"):
        assert SECRET.encode() not in path.read_bytes()


def test_a_rerun_through_a_paid_api_is_exact_free_and_offline(anthropic_server, store):
    def run() -> tuple[list[str], float]:
        model = open_model("anthropic:claude-3-5-sonnet-latest", store=store)
        lm = BudgetedLanguageModel(model, budget=2, max_responses_per_call=6)
        answers = lm.prompt("expert", "write code", n_responses=3)
        return answers + lm.batch_prompt("expert", ["refine", "write code"]), lm.cost_usd

    first, first_cost = run()
    sent = len(anthropic_server.requests)
    second, second_cost = run()
    assert second == first
    assert first_cost > 0 and second_cost == 0.0
    assert len(anthropic_server.requests) == sent == 5
