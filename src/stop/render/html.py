"""Untrusted text to HTML: every line of code kept, invisible and bidi characters shown.

Jinja's autoescape already stops markup injection. What it does not stop is text that displays
as something else: a bare `\\r` that pygments reads as a line break (so a listing loses lines the
analyses cite), a U+202E that shows `eslaF=xobdnas_esu` as harmless text, a zero-width space
inside a name. Here line endings are normalised the way Python counts lines, and every such
character is boxed in a `<span class="ctl">` that names it.
"""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

from stop.render.controls import INVISIBLE, escape_of, name_of, normalise_newlines, visible

__all__ = ["code_lines", "finalize", "mark_controls", "visible"]

CSS = (
    ".ctl{border:1px solid #dc2626;color:#991b1b;background:#fef2f2;border-radius:3px;"
    "padding:0 2px;font-size:90%}"
)


def code_lines(source: str) -> list[str]:
    """The lines of `source` as Python numbers them (`\\n`, `\\r\\n` and `\\r` end a line)."""
    return normalise_newlines(source).split("\n")


def mark_controls(text: str) -> Markup:
    """`text` HTML-escaped, each invisible character boxed with its escape and Unicode name."""
    out: list[str] = []
    last = 0
    for match in INVISIBLE.finditer(text):
        char = match.group()
        out.append(escape(text[last : match.start()]))
        out.append(
            f'<span class="ctl" title="{escape(name_of(char))}">{escape(escape_of(char))}</span>'
        )
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("".join(out))


def finalize(value: Any) -> Any:
    """Jinja `finalize`: every `{{ … }}` value not already HTML is shown as plain text with its
    invisible characters spelt out (so it is safe in attributes and <title> too). Dicts and
    lists from a stored config are text here as well, so their strings are covered."""
    if isinstance(value, Markup) or type(value) in (int, float):
        return value
    return visible(str(value))
