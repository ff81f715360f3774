"""A scripted language model: the fake that tests (and `--model scripted`) run the real path with.

It answers from a list of texts (in order, cycled by default) or from a function of the messages
and the sample index, and records every request it was asked, so a test can assert on prompts.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from stop.errors import LMError
from stop.lm.base import Completion, Message, approx_tokens, check_messages

Responder = Callable[[list[Message], int], str]


@dataclass(frozen=True)
class ScriptedRequest:
    """One sample a `ScriptedModel` was asked for."""

    messages: list[Message]
    sample_index: int
    temperature: float
    max_tokens: int


class ScriptedModel:
    """A `LanguageModel` whose answers are given in advance.

    `responses` is a list of texts handed out one per sample in call order (cycled when
    `cycle` is true, else running out raises LMError), or a function
    `(messages, sample_index) -> str`.
    """

    def __init__(
        self,
        responses: list[str] | Responder,
        name: str = "scripted",
        *,
        cycle: bool = True,
    ) -> None:
        if not callable(responses) and not responses:
            raise ValueError("ScriptedModel needs at least one response or a function")
        self.name = name
        self.cycle = cycle
        self.requests: list[ScriptedRequest] = []
        self._responses = responses
        self._next = 0
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        """How many samples were asked for so far."""
        return len(self.requests)

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 1024,
        first_sample: int = 0,
    ) -> list[Completion]:
        check_messages(messages)
        prompt_tokens = sum(approx_tokens(m["content"]) for m in messages)
        out = []
        for index in range(first_sample, first_sample + n):
            start = time.perf_counter()
            text = self._answer(messages, index)
            with self._lock:
                asked = ScriptedRequest(list(messages), index, temperature, max_tokens)
                self.requests.append(asked)
            out.append(
                Completion(
                    text=text,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=approx_tokens(text),
                    latency_s=time.perf_counter() - start,
                    finish_reason="stop",
                )
            )
        return out

    def _answer(self, messages: list[Message], index: int) -> str:
        if callable(self._responses):
            return str(self._responses(messages, index))
        with self._lock:
            position = self._next
            self._next += 1
        if position >= len(self._responses) and not self.cycle:
            raise LMError(
                f"scripted model {self.name!r} ran out of responses after {len(self._responses)};"
                " give it more responses or cycle=True"
            )
        return self._responses[position % len(self._responses)]


_FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


def echo_code(messages: list[Message], sample_index: int) -> str:
    """The default answer of `--model scripted`: the first code block of the last user message,
    returned unchanged, so a whole pipeline runs end to end without a model."""
    last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    match = _FENCE.search(last_user)
    code = match.group(1) if match else last_user
    return f"Keeping the current version (sample {sample_index}).\n```python\n{code.rstrip()}\n```"
