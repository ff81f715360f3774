"""The words of a source, with line numbers: identifiers and string literals, not comments.

Comments are left out on purpose: an LM often writes "# use simulated annealing" above code that
does nothing of the kind, and a label should cite what the code does or asks the LM to do.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One identifier or string literal (`kind` 'name' | 'string' | 'raw') starting at `line`."""

    line: int
    kind: str
    text: str


def words(source: str) -> list[Word]:
    """Identifiers and string literals of `source`; unparsable sources fall back to raw lines
    (kind 'raw'), so a broken improver still gets keyword labels."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [Word(i, "raw", text) for i, text in enumerate(source.splitlines(), start=1)]
    out: list[Word] = []
    for token in tokens:
        if token.type == tokenize.NAME:
            out.append(Word(token.start[0], "name", token.string))
        elif token.type == tokenize.STRING:
            # One Word per physical line, so a match inside a long prompt cites its own line.
            for offset, text in enumerate(token.string.split("\n")):
                out.append(Word(token.start[0] + offset, "string", text))
    return out


def matching_lines(found: list[Word], pattern: re.Pattern[str], kinds: tuple[str, ...]) -> set[int]:
    """Lines of words of the given kinds (raw lines always count) that match `pattern`."""
    return {
        w.line for w in found if (w.kind in kinds or w.kind == "raw") and pattern.search(w.text)
    }
