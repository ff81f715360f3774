"""The seam every language model sits behind: messages in, completions out.

`LanguageModel.complete` is the whole protocol. Backends shipped with `stop` also accept a
keyword `first_sample` (the sample index of the first of the `n` completions), so the recorder
and the budgeted proxy can ask for samples 3..5 of a request without regenerating 0..2; use
`complete_samples` to call any model that way, shipped or not.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Completion:
    """One sampled response and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    finish_reason: str
    cost_usd: float | None = None
    cache_hit: bool = False


@runtime_checkable
class LanguageModel(Protocol):
    """Anything that turns a chat into `n` sampled completions."""

    name: str  # the full model string, e.g. "local:qwen2.5-coder-0.5b-instruct"

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 1024,
    ) -> list[Completion]: ...


def complete_samples(
    model: LanguageModel,
    messages: list[Message],
    *,
    first_sample: int,
    n: int,
    temperature: float,
    max_tokens: int,
) -> list[Completion]:
    """Samples `first_sample .. first_sample + n - 1` of a request from `model`.

    A model whose `complete` has no `first_sample` keyword (a third-party fake) is asked for `n`
    samples plainly: it cannot tell sample indices apart anyway.
    """
    if _accepts_first_sample(model):
        return model.complete(  # type: ignore[call-arg]
            messages, n=n, temperature=temperature, max_tokens=max_tokens, first_sample=first_sample
        )
    return model.complete(messages, n=n, temperature=temperature, max_tokens=max_tokens)


def _accepts_first_sample(model: LanguageModel) -> bool:
    try:
        return "first_sample" in inspect.signature(model.complete).parameters
    except (TypeError, ValueError):
        return False


def check_messages(messages: list[Message]) -> None:
    """Raise ValueError unless `messages` is a non-empty chat of known roles and string contents."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ValueError(f"each message needs a role in {ROLES}; got {message!r:.80}")
        if not isinstance(message.get("content"), str):
            raise ValueError(f"message content must be a string; got {message!r:.80}")


def first_message_preview(messages: list[Message], limit: int = 80) -> str:
    """The start of the first non-system message (or the first one), for error messages."""
    fallback: Message = messages[0] if messages else {}
    chosen = next((m for m in messages if m.get("role") != "system"), fallback)
    text = " ".join(str(chosen.get("content", "")).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{chosen.get('role', '?')}: {text!r}"


def approx_tokens(text: str) -> int:
    """A rough token count (~4 characters per token) for models that report none."""
    return max(1, (len(text) + 3) // 4) if text else 0
