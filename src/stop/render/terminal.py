"""Untrusted text to the terminal: controls spelt out, rich markup and emoji codes inert.

Commands print anything they did not write themselves as rich `Text` built here, never as a
markup string: an escape sequence in an LM answer cannot retitle the window or hide lines, and
`[link=…]` in a README, `[/x]` in a run id or `:warning:` in an error body is only text.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from stop.render.controls import visible

Part = Any  # a value shown as text, or a (value, rich style) pair


def inert(*parts: Part) -> Text:
    """One line of text from `parts` (a value, or a `(value, style)` pair), each shown with its
    controls spelt out; nothing is parsed as markup or emoji codes."""
    text = Text()
    for part in parts:
        value, style = part if isinstance(part, tuple) else (part, "")
        text.append(visible(str(value)), style=style)
    return text


def plain(value: Any, style: str = "") -> Text:
    """`value` alone as inert text (a table cell, an LM answer)."""
    return inert((value, style))


def console(*, stderr: bool = False) -> Console:
    """A console that prints what it is given: no `:emoji:` codes, no guessed highlighting."""
    return Console(stderr=stderr, emoji=False, highlight=False)
