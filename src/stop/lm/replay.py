"""The replay backend: answers only from calls recorded in a run store, never from a model.

`replay:MODEL` replays what MODEL answered (exact cache keys); plain `replay` accepts a recording
from any model with the same messages, temperature, max_tokens and sample index.
"""

from __future__ import annotations

from stop.errors import ReplayMiss
from stop.lm.base import Completion, Message, check_messages, first_message_preview
from stop.lm.recorder import lookup, messages_json, request_key
from stop.store import Store


class ReplayModel:
    """A `LanguageModel` backed by the `lm_calls` table of `store`."""

    def __init__(self, store: Store, model: str | None = None) -> None:
        self.store = store
        self.model = model
        self.name = f"replay:{model}" if model else "replay"

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
        return [
            self._one(messages, temperature, max_tokens, index)
            for index in range(first_sample, first_sample + n)
        ]

    def _one(
        self, messages: list[Message], temperature: float, max_tokens: int, index: int
    ) -> Completion:
        if self.model:
            key = request_key(self.model, messages, temperature, max_tokens, index)
            hit = lookup(self.store, "request_key = ?", (key,))
        else:
            hit = lookup(
                self.store,
                "messages_json = ? AND temperature = ? AND max_tokens = ? AND sample_index = ?",
                (messages_json(messages), float(temperature), int(max_tokens), index),
            )
        if hit is None:
            raise ReplayMiss(
                f"no recorded answer from {self.model or 'any model'} in {self.store.path} for"
                f" sample {index} of the request whose first message is"
                f" {first_message_preview(messages)} (temperature={temperature},"
                f" max_tokens={max_tokens}); record it by running once with that model and"
                " the same --db, or drop --model replay"
            )
        return hit
