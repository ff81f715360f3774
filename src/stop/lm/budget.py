"""The budgeted proxy: the only language model an improver ever holds (design §2).

`batch_prompt` and `prompt` are the calls original-STOP improvers make. Each counts as one call
against `budget`, may carry at most `max_responses_per_call` messages, and both limits raise
`BudgetExceeded` (after reporting the violation) rather than quietly returning nothing, so a
runaway improver learns why it stopped. Identical messages are one request for n samples:
their sample indices differ, so they get different answers and different cache keys, and the
proxy keeps counting across calls so asking the same thing twice is not a cache hit either.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stop.errors import BudgetExceeded, LMError
from stop.lm.base import Completion, LanguageModel, Message, complete_samples

Violation = Callable[[str, dict[str, Any]], None]


class BudgetedLanguageModel:
    """An improver-facing view of `model` with a call budget and a per-call response cap.

    `sample_base` offsets every sample index, so independent runs of one improver (e.g. the
    5 runs a meta-utility averages) can draw different samples while staying replayable.
    """

    def __init__(
        self,
        model: LanguageModel,
        *,
        budget: int,
        max_responses_per_call: int,
        max_tokens: int = 1024,
        concurrency: int = 1,
        on_violation: Violation | None = None,
        sample_base: int = 0,
    ) -> None:
        self.model = model
        self.budget = budget
        self.max_responses_per_call = max_responses_per_call
        self.max_tokens = max_tokens
        self.concurrency = max(1, concurrency)
        self.on_violation = on_violation
        self.sample_base = sample_base
        self.calls_used = 0
        self.responses_used = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cost_usd = 0.0
        self._asked: Counter[tuple[str, str, float]] = Counter()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"<language model {self.model.name}: {self.calls_used}/{self.budget} calls used,"
            f" up to {self.max_responses_per_call} responses per call>"
        )

    def prompt(
        self, expertise: str, message: str, n_responses: int = 1, temperature: float = 0.7
    ) -> list[str]:
        """`n_responses` answers to `message`, with `expertise` as the system message."""
        if not isinstance(n_responses, int) or isinstance(n_responses, bool) or n_responses < 0:
            raise LMError(f"n_responses must be a non-negative int; got {_short(n_responses)}")
        # Checked before the list of messages exists: n_responses=10**8 must cost nothing.
        self._check_count(n_responses)
        return self.batch_prompt(expertise, [message] * n_responses, temperature)

    def batch_prompt(
        self, expertise: str, messages: list[str] | str, temperature: float = 0.7
    ) -> list[str]:
        """One answer per message (in order), with `expertise` as the system message."""
        messages = [messages] if isinstance(messages, str) else list(messages)
        self._check_count(len(messages))
        _check_text("expertise", expertise)
        for message in messages:
            _check_text("each message", message)
        temperature = _check_temperature(temperature)
        groups = self._reserve(expertise, messages, temperature)
        answers: dict[int, str] = {}
        completions: list[Completion] = []
        for positions, batch in self._run(expertise, groups, temperature):
            answers.update(zip(positions, (c.text for c in batch), strict=True))
            completions.extend(batch)
        with self._lock:
            self.responses_used += len(completions)
            self.prompt_tokens += sum(c.prompt_tokens for c in completions)
            self.completion_tokens += sum(c.completion_tokens for c in completions)
            self.cost_usd += sum(c.cost_usd or 0.0 for c in completions)
        return [answers[i] for i in range(len(messages))]

    def _check_count(self, n: int) -> None:
        if n > self.max_responses_per_call:
            self._violate(
                "responses_per_call",
                f"{n} messages in one call, but at most {self.max_responses_per_call} responses"
                " per call are allowed; split them over several calls",
                requested=n,
            )

    def _reserve(
        self, expertise: str, messages: list[str], temperature: float
    ) -> list[tuple[list[int], str, int]]:
        """Count the call against the budget and give each distinct message its sample range.

        Returns (positions in `messages`, message, first sample index) per distinct message.
        """
        violation: tuple[str, str] | None = None
        with self._lock:
            if len(messages) > self.max_responses_per_call:
                violation = (
                    "responses_per_call",
                    f"{len(messages)} messages in one call, but at most"
                    f" {self.max_responses_per_call} responses per call are allowed;"
                    " split them over several calls",
                )
            elif self.calls_used >= self.budget:
                violation = (
                    "calls",
                    f"language model budget exhausted: all {self.budget} calls are used;"
                    " return the best solution found so far",
                )
            elif messages:
                self.calls_used += 1
                groups: list[tuple[list[int], str, int]] = []
                for message in dict.fromkeys(messages):
                    positions = [i for i, m in enumerate(messages) if m == message]
                    asked = (expertise, message, temperature)
                    groups.append((positions, message, self.sample_base + self._asked[asked]))
                    self._asked[asked] += len(positions)
                return groups
        if violation is None:
            return []  # an empty request costs nothing
        # Reported outside the lock: the callback may write to the store or read this proxy.
        self._violate(*violation, requested=len(messages))
        raise AssertionError("unreachable")

    def _run(
        self, expertise: str, groups: list[tuple[list[int], str, int]], temperature: float
    ) -> list[tuple[list[int], list[Completion]]]:
        def one(group: tuple[list[int], str, int]) -> tuple[list[int], list[Completion]]:
            positions, message, first = group
            chat: list[Message] = [
                {"role": "system", "content": expertise},
                {"role": "user", "content": message},
            ]
            batch = complete_samples(
                self.model,
                chat,
                first_sample=first,
                n=len(positions),
                temperature=temperature,
                max_tokens=self.max_tokens,
            )
            return positions, batch

        if self.concurrency == 1 or len(groups) <= 1:
            return [one(group) for group in groups]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(groups))) as pool:
            return list(pool.map(one, groups))

    def _violate(self, rule: str, message: str, **details: Any) -> None:
        payload = {
            "rule": rule,
            "message": message,
            "budget": self.budget,
            "calls_used": self.calls_used,
            "max_responses_per_call": self.max_responses_per_call,
            **details,
        }
        if self.on_violation is not None:
            self.on_violation("lm_budget", payload)
        raise BudgetExceeded(message)


def _check_text(what: str, value: object) -> None:
    if not isinstance(value, str):
        raise LMError(f"{what} must be a string; got {type(value).__name__}")


MAX_TEMPERATURE = 2.0  # the largest any provider accepts


def _check_temperature(value: object) -> float:
    """`value` as a float if it is a finite number in [0, MAX_TEMPERATURE]; checked here, so a
    NaN or a string never reaches a backend, a cache key or the store."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and 0 <= value <= MAX_TEMPERATURE:  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]
    raise LMError(
        f"temperature must be a finite number in [0, {MAX_TEMPERATURE:g}]; got {_short(value)}"
    )


def _short(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= 60 else text[:60] + "..."
