"""Side-by-side diffs of two sources, syntax-highlighted by pygments, aligned by difflib."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from html import escape

from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.token import STANDARD_TYPES, _TokenType

CSS_SCOPE = ".hl"


@dataclass(frozen=True)
class DiffRow:
    """One row: the old and new line numbers (None: no line) and highlighted HTML."""

    tag: str  # 'equal' | 'replace' | 'delete' | 'insert'
    old_number: int | None
    old_html: str
    new_number: int | None
    new_html: str


def _css_class(token: _TokenType) -> str:
    while token not in STANDARD_TYPES:
        token = token.parent
    return STANDARD_TYPES[token]


def highlighted_lines(source: str) -> list[str]:
    """One HTML string per line of `source`. Tokens that span lines (docstrings, f-strings) are
    split at newlines, so every line is balanced HTML and can sit in its own table cell."""
    lines: list[list[str]] = [[]]
    for token, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens(source):
        css = _css_class(token)
        for index, part in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if part:
                text = escape(part)
                lines[-1].append(f'<span class="{css}">{text}</span>' if css else text)
    return ["".join(parts) for parts in lines[: len(source.split("\n"))]]


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """Rows of a side-by-side diff (every line of both sources, changed lines paired)."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    old_html, new_html = highlighted_lines(old), highlighted_lines(new)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            left = i < i2
            right = j < j2
            row_tag = (
                tag if tag != "replace" or (left and right) else ("delete" if left else "insert")
            )
            rows.append(
                DiffRow(
                    row_tag,
                    i + 1 if left else None,
                    old_html[i] if left else "",
                    j + 1 if right else None,
                    new_html[j] if right else "",
                )
            )
    return rows


def highlight_css() -> str:
    """The pygments style rules, scoped to `.hl` elements."""
    return HtmlFormatter(style="default").get_style_defs(CSS_SCOPE)
