"""Where a sample ends: stop strings, some of them conditional, found in text as it grows.

One rule for every backend that cuts samples itself (the embedded llama.cpp draw, a streamed
OpenAI-compatible answer): the sample ends just before the first stop string whose condition
holds for the text up to and including it; the stop string itself is not kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import AnyStr


@dataclass(frozen=True)
class StopWhen:
    """A stop string that ends a sample only where `ends` holds for the text so far (up to
    and including the string); e.g. a closing fence that is not inside a string literal."""

    text: str
    ends: Callable[[str], bool]


Stop = tuple[AnyStr, Callable[[str], bool] | None]


def compile_stops(stops: Sequence[str | StopWhen], as_bytes: bool = False) -> list[Stop]:
    """(stop text, condition or None) pairs, empty stop strings dropped; bytes for a backend
    that accumulates undecoded pieces (a token may end inside a character)."""
    pairs = [(s, None) if isinstance(s, str) else (s.text, s.ends) for s in stops]
    return [(t.encode("utf-8") if as_bytes else t, ends) for t, ends in pairs if t]


def cut_at(text: AnyStr, new_from: int, stops: Sequence[Stop]) -> int | None:
    """The index `text` ends at (before the first stop string that holds), looking only at
    matches that reach past `new_from` (the text before it was searched already); None: no
    stop yet."""
    for stop, ends in stops:
        at = text.find(stop, max(0, new_from - len(stop) + 1))
        while at >= 0:
            head = text[: at + len(stop)]
            if ends is None or ends(_text(head)):
                return at
            at = text.find(stop, at + 1)
    return None


def _text(head: str | bytes) -> str:
    return head if isinstance(head, str) else head.decode("utf-8", errors="ignore")
