"""An OpenAI-compatible server's answers end at their first code block too: streamed, cut by
the embedded backend's rule, and the stream closed so the server stops generating."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from stop.helpers import closes_first_code_block
from stop.lm.openai_stream import read_stream
from stop.lm.registry import CODE_BLOCK_END, CODE_BLOCK_SUFFIX, open_model
from stop.lm.stops import StopWhen, compile_stops
from tests.http_helpers import JSONHandler, serving

CHAT = [{"role": "user", "content": "Write double(x)."}]
BLOCK = "Idea.\n```python\ndef double(x):\n    return 2 * x\n```\n"
TAIL = "Now the utility again:\n```python\ndef utility(s): ...\n```\n" * 50


CODE_BLOCK = compile_stops([StopWhen(CODE_BLOCK_END, closes_first_code_block)])


def chunks(*answers: str, size: int = 3) -> list[SimpleNamespace]:
    """Chunks as the openai client yields them: the answers' pieces interleaved by index."""
    out = []
    for start in range(0, max(map(len, answers)), size):
        for index, text in enumerate(answers):
            if start < len(text):
                delta = SimpleNamespace(content=text[start : start + size])
                choice = SimpleNamespace(index=index, delta=delta, finish_reason=None)
                out.append(SimpleNamespace(choices=[choice], usage=None))
    return out


class StreamingStandIn:
    """Streams `answer` a few characters per SSE chunk (as a server sends tokens) and records
    how many chunks it could write before the client went away."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.pieces = [answer[i : i + 4] for i in range(0, len(answer), 4)]
        self.streams = True  # False: answer every request with one JSON body, as some servers do
        self.bodies: list[dict] = []
        self.sent: list[int] = []


@pytest.fixture
def server() -> Iterator[tuple[StreamingStandIn, str]]:
    stand_in = StreamingStandIn(BLOCK + TAIL)

    class Handler(JSONHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.body()
            stand_in.bodies.append(body)
            if not stand_in.streams:
                self.answer_whole(body["model"])
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            sent = 0
            try:
                for piece in [*stand_in.pieces, None]:
                    delta = {"content": piece} if piece is not None else {}
                    finish = None if piece is not None else "length"
                    chunk = {
                        "id": "c", "object": "chat.completion.chunk", "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }  # fmt: skip
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    sent += 1
                    threading.Event().wait(0.002)  # a server's pace: the client can go midway
                self.wfile.write(b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            stand_in.sent.append(sent)

        def answer_whole(self, model: str) -> None:
            message = {"role": "assistant", "content": stand_in.answer}
            self.send_json(200, {
                "id": "c", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "length"}],
                "usage": {"prompt_tokens": 7, "completion_tokens": 900, "total_tokens": 907},
            })  # fmt: skip

    with serving(Handler) as root:
        yield stand_in, f"{root}/v1"


def test_a_streamed_answer_ends_at_the_fence_closing_its_first_block(server):
    stand_in, url = server
    model = open_model(f"openai-compatible:{url}#m", stop_after_code_block=True)
    assert model.name.endswith(CODE_BLOCK_SUFFIX)
    [answer] = model.complete(CHAT, max_tokens=2000)
    assert (answer.text, answer.finish_reason) == (BLOCK.removesuffix("\n```\n"), "stop")
    assert stand_in.bodies[0]["stream"] is True
    assert answer.completion_tokens == math.ceil(len(BLOCK) / 4)  # chunks up to the fence


def test_the_client_goes_once_the_block_is_closed_so_the_server_stops_sending(server):
    stand_in, url = server
    open_model(f"openai-compatible:{url}#m", stop_after_code_block=True).complete(CHAT)
    while not stand_in.sent:  # the handler notices the closed connection on a later write
        threading.Event().wait(0.01)
    assert stand_in.sent[0] < len(stand_in.pieces) // 2


def test_a_server_that_ignores_stream_is_cut_all_the_same(server):
    stand_in, url = server
    stand_in.streams = False
    model = open_model(f"openai-compatible:{url}#m", stop_after_code_block=True)
    [answer] = model.complete(CHAT, max_tokens=2000)
    assert (answer.text, answer.finish_reason) == (BLOCK.removesuffix("\n```\n"), "stop")
    assert (answer.prompt_tokens, answer.completion_tokens) == (7, 900)  # what it generated


def test_a_fence_inside_a_string_does_not_end_a_streamed_answer():
    text = 'Idea.\n```python\np = """\n```\n"""\n```\nprose'
    answer = read_stream(chunks(text), 1, CODE_BLOCK, deadline=math.inf)
    assert answer.choices[0].text == 'Idea.\n```python\np = """\n```\n"""'


def test_each_streamed_sample_is_cut_on_its_own_and_reading_ends_when_all_have_ended():
    short, long = BLOCK, "Other.\n```python\ndef double(x):\n    return x + x\n```\n"
    stream = iter(chunks(short + TAIL, long + TAIL))
    answer = read_stream(stream, 2, CODE_BLOCK, deadline=math.inf)
    assert [c.text + CODE_BLOCK_END for c in answer.choices] == [short, long]
    assert [c.finish_reason for c in answer.choices] == ["stop", "stop"]
    assert next(stream, None) is not None  # the rest of the stream was left unread
