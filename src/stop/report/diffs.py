"""Side-by-side diffs of two sources, syntax-highlighted by pygments, aligned by difflib.

Bounded on purpose: `difflib` with `autojunk=False` is exact but its time grows roughly 8x per
doubling on sources with many repeated lines (two 2,000-line improvers of alternating blank
lines: ~40 s). So the common head and tail are matched first (free), the exact matcher only
aligns a middle of at most `EXACT_LINES` lines a side, larger middles use difflib's popular-line
heuristic, and sources over `MAX_LINES` lines or lines over `MAX_LINE_CHARS` characters are cut,
with a note saying so. The lineage listing still shows every line of every improver.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.token import STANDARD_TYPES, _TokenType

from stop.render.html import code_lines, mark_controls

CSS_SCOPE = ".hl"
MAX_LINES = 2000  # per side; a diff this long is read as "rewritten", not line by line
MAX_LINE_CHARS = 1000
EXACT_LINES = 400  # the exact matcher's worst case at this size is well under a second


@dataclass(frozen=True)
class DiffRow:
    """One row: the old and new line numbers (None: no line) and highlighted HTML."""

    tag: str  # 'equal' | 'replace' | 'delete' | 'insert'
    old_number: int | None
    old_html: str
    new_number: int | None
    new_html: str


@dataclass(frozen=True)
class Diff:
    rows: tuple[DiffRow, ...]
    note: str  # why the diff shows less than both sources ("" when it shows everything)


def _css_class(token: _TokenType) -> str:
    while token not in STANDARD_TYPES:
        token = token.parent
    return STANDARD_TYPES[token]


def highlighted_lines(source: str) -> list[str]:
    """One HTML string per line of `source` (lines as Python counts them: a bare `\\r` ends one
    too), invisible and bidi characters boxed. Tokens that span lines (docstrings, f-strings)
    are split at newlines, so every line is balanced HTML and can sit in its own table cell."""
    lines = code_lines(source)
    out: list[list[str]] = [[]]
    for token, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens("\n".join(lines)):
        css = _css_class(token)
        for index, part in enumerate(value.split("\n")):
            if index:
                out.append([])
            if part:
                text = mark_controls(part)
                out[-1].append(f'<span class="{css}">{text}</span>' if css else str(text))
    rendered = ["".join(parts) for parts in out][: len(lines)]
    return rendered + [""] * (len(lines) - len(rendered))  # pygments may drop a last empty line


def _cut(lines: list[str]) -> tuple[list[str], bool]:
    cut = len(lines) > MAX_LINES or any(len(line) > MAX_LINE_CHARS for line in lines)
    kept = [line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + " …" for line in lines]
    return kept[:MAX_LINES], cut


def _opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib opcodes, the common head and tail matched directly and the middle bounded."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    a, b = old[head : len(old) - tail], new[head : len(new) - tail]
    exact = max(len(a), len(b)) <= EXACT_LINES
    middle = difflib.SequenceMatcher(a=a, b=b, autojunk=not exact).get_opcodes() if a or b else []
    ops = [("equal", 0, head, 0, head)] if head else []
    ops += [(t, i1 + head, i2 + head, j1 + head, j2 + head) for t, i1, i2, j1, j2 in middle]
    if tail:
        ops.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    return ops


def side_by_side(old: str, new: str) -> Diff:
    """Rows of a side-by-side diff (every line of both sources up to the caps, changed lines
    paired), with a note when a cap cut something."""
    old_all, new_all = code_lines(old), code_lines(new)
    old_lines, old_cut = _cut(old_all)
    new_lines, new_cut = _cut(new_all)
    old_html = highlighted_lines("\n".join(old_lines))
    new_html = highlighted_lines("\n".join(new_lines))
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in _opcodes(old_lines, new_lines):
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
    note = ""
    if old_cut or new_cut:
        note = (
            f"diff truncated: it compares at most the first {MAX_LINES} lines of each version "
            f"and {MAX_LINE_CHARS} characters of a line ({len(old_all)} and {len(new_all)} lines "
            "here); the lineage section lists both versions in full"
        )
    return Diff(tuple(rows), note)


def highlight_css() -> str:
    """The pygments style rules, scoped to `.hl` elements."""
    return HtmlFormatter(style="default").get_style_defs(CSS_SCOPE)
