"""The recorder/cache: every call of a wrapped model becomes rows of the `lm_calls` table.

One row per sample. A request's key is sha256(model, messages, temperature, max_tokens,
sample index); with the cache on, a sample whose key is already recorded is answered from the
store (cache hit, cost 0), so rerunning an experiment replays it exactly and for free. The rows
of one call are written in one transaction after the model answered: a call that fails records
its error instead and leaves no partial answers behind.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from stop.lm.base import Completion, LanguageModel, Message, check_messages, complete_samples
from stop.store import Store

_COLUMNS = (
    "run_id, model, request_key, messages_json, temperature, max_tokens, sample_index, text,"
    " prompt_tokens, completion_tokens, latency_s, cost_usd, finish_reason, cache_hit, error,"
    " created_at"
)


def messages_json(messages: list[Message]) -> str:
    """The canonical serialisation of a chat: what keys hash and what the store holds."""
    return json.dumps(messages, sort_keys=True, ensure_ascii=False)


def request_key(
    model: str, messages: list[Message], temperature: float, max_tokens: int, sample_index: int
) -> str:
    """The cache key of one sample: equal keys mean interchangeable answers."""
    payload = json.dumps(
        [model, messages, float(temperature), int(max_tokens), int(sample_index)],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def lookup(store: Store, where: str, params: tuple) -> Completion | None:
    """The earliest successful recording matching `where`, as a cache-hit Completion."""
    rows = store.query(
        "SELECT text, prompt_tokens, completion_tokens, finish_reason FROM lm_calls"
        f" WHERE {where} AND error IS NULL AND text IS NOT NULL ORDER BY id LIMIT 1",
        params,
    )
    if not rows:
        return None
    row = rows[0]
    return Completion(
        text=row["text"],
        prompt_tokens=row["prompt_tokens"] or 0,
        completion_tokens=row["completion_tokens"] or 0,
        latency_s=0.0,
        finish_reason=row["finish_reason"] or "stop",
        cost_usd=0.0,
        cache_hit=True,
    )


class RecordingModel:
    """Wraps a model so every sample is recorded in `store` and, with `cache`, reused."""

    def __init__(
        self, model: LanguageModel, store: Store, *, run_id: str | None = None, cache: bool = True
    ) -> None:
        self.model = model
        self.name = model.name
        self.store = store
        self.run_id = run_id
        self.cache = cache

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
        indices = list(range(first_sample, first_sample + n))
        keys = {i: request_key(self.name, messages, temperature, max_tokens, i) for i in indices}
        found: dict[int, Completion] = {}
        if self.cache:
            for index in indices:
                hit = lookup(self.store, "request_key = ?", (keys[index],))
                if hit is not None:
                    found[index] = hit
        missing = [i for i in indices if i not in found]
        try:
            for run in _contiguous_runs(missing):
                answers = complete_samples(
                    self.model,
                    messages,
                    first_sample=run[0],
                    n=len(run),
                    temperature=temperature,
                    max_tokens=max_tokens,
                )
                if len(answers) != len(run):
                    raise RuntimeError(f"{self.name} returned {len(answers)} of {len(run)} samples")
                found.update(zip(run, answers, strict=True))
        except BaseException as exc:
            # Record the failure, not the samples that did arrive: a rerun must redo the call.
            error = f"{type(exc).__name__}: {exc}"
            self._write(messages, temperature, max_tokens, keys, {i: error for i in missing})
            raise
        ordered = [found[i] for i in indices]
        outcomes: dict[int, Completion | str] = dict(zip(indices, ordered, strict=True))
        self._write(messages, temperature, max_tokens, keys, outcomes)
        return ordered

    def _write(
        self,
        messages: list[Message],
        temperature: float,
        max_tokens: int,
        keys: dict[int, str],
        outcomes: dict[int, Completion | str],
    ) -> None:
        now = time.time()
        chat = messages_json(messages)
        rows = [
            _row(self.run_id, self.name, keys[i], chat, temperature, max_tokens, i, outcome, now)
            for i, outcome in outcomes.items()
        ]
        placeholders = ", ".join("?" * len(_COLUMNS.split(",")))
        with self.store.transaction() as conn:
            conn.executemany(f"INSERT INTO lm_calls ({_COLUMNS}) VALUES ({placeholders})", rows)


def _row(
    run_id: str | None,
    model: str,
    key: str,
    chat: str,
    temperature: float,
    max_tokens: int,
    index: int,
    outcome: Completion | str,
    now: float,
) -> tuple[Any, ...]:
    head = (run_id, model, key, chat, float(temperature), int(max_tokens), index)
    if isinstance(outcome, str):  # an error message
        return (*head, None, None, None, None, None, None, 0, outcome, now)
    c = outcome
    cost = 0.0 if c.cache_hit else c.cost_usd
    return (
        *head,
        c.text,
        c.prompt_tokens,
        c.completion_tokens,
        c.latency_s,
        cost,
        c.finish_reason,
        int(c.cache_hit),
        None,
        now,
    )


def _contiguous_runs(indices: list[int]) -> list[list[int]]:
    """[3, 4, 6] -> [[3, 4], [6]]: each run is one backend request."""
    runs: list[list[int]] = []
    for index in indices:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs
