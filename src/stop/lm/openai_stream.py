"""Reading a streamed chat completion until each choice reaches one of our stop strings.

A server stops at the first match of a plain stop string, but "the fence that closes the first
code block" needs the text as it grows (`StopWhen`). So the answer is streamed, each choice is
cut by the same rule the embedded backend uses (`stops.cut_at`), and the stream is closed once
every choice has ended: llama.cpp's server and vLLM stop generating when the client goes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from stop.lm.stops import Stop, cut_at


@dataclass
class StreamedChoice:
    text: str = ""
    chunks: int = 0  # content chunks received: one token each on llama.cpp's server and vLLM
    finish_reason: str | None = None
    cut: bool = False  # ended by one of our stops, not by the server


@dataclass
class StreamedAnswer:
    choices: list[StreamedChoice]
    prompt_tokens: int | None  # None: the stream was closed before its usage chunk


class StreamDeadline(Exception):
    """The whole answer did not arrive before the request's deadline."""


def read_stream(
    chunks: Iterable[Any], n: int, stops: Sequence[Stop], deadline: float
) -> StreamedAnswer:
    """The choices of a chat-completion stream, each cut at its first stop. Reads to the end
    of the stream (where the usage is) unless all `n` choices have ended and one of them was
    cut by us: then the rest is text nobody wants, and the caller closes the stream."""
    choices: dict[int, StreamedChoice] = {}
    usage = None
    for chunk in chunks:
        if time.monotonic() > deadline:  # the client's timeout is per read, not per answer
            raise StreamDeadline("the streamed answer did not finish before its deadline")
        usage = getattr(chunk, "usage", None) or usage
        for delta in chunk.choices or ():
            choice = choices.setdefault(delta.index, StreamedChoice())
            if choice.finish_reason is not None:
                continue  # cut by a stop: the server's text after it is not ours
            piece = delta.delta.content if delta.delta else None
            if piece:
                before = len(choice.text)
                choice.text += piece
                choice.chunks += 1
                end = cut_at(choice.text, before, stops)
                if end is not None:
                    choice.text, choice.finish_reason, choice.cut = choice.text[:end], "stop", True
            if delta.finish_reason and choice.finish_reason is None:
                choice.finish_reason = delta.finish_reason
        ended = len(choices) >= n and all(c.finish_reason for c in choices.values())
        if ended and any(c.cut for c in choices.values()):
            break
    ordered = [choices[i] for i in sorted(choices)]
    return StreamedAnswer(ordered, usage.prompt_tokens if usage is not None else None)


def cut_choices(completion: Any, stops: Sequence[Stop]) -> Any:
    """A whole (unstreamed) chat completion with each choice's text cut by the same rule: for
    servers that answer a stream request with one JSON body. Its usage still counts every
    token the server generated."""
    for choice in completion.choices:
        text = choice.message.content or ""
        end = cut_at(text, 0, stops)
        if end is not None:
            choice.message.content, choice.finish_reason = text[:end], "stop"
    return completion
