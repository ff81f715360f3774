"""Helpers that improvers may import: `from stop.helpers import extract_code`.

Original STOP improvers write `from helpers import extract_code`; the sandbox makes that name
importable too (it is this module).
"""

from __future__ import annotations

import re

# An opening fence: three or more backticks (or tildes), optional language tag, end of line.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")


def _in_open_triple_quote(code: str) -> bool:
    """Whether Python `code` ends inside a triple-quoted string (comments and one-line strings
    skipped, backslash escapes honoured). Model-written improvers put fenced prompts inside
    such strings; a fence there is text, not the end of the block."""
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        if c == "#":
            newline = code.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif c in "\"'":
            if code.startswith(c * 3, i):
                i += 3
                while i < n and not code.startswith(c * 3, i):
                    i += 2 if code[i] == "\\" else 1
                if i >= n:
                    return True
                i += 3
            else:  # a one-line string ends at its quote or, unterminated, at the line's end
                i += 1
                while i < n and code[i] not in (c, "\n"):
                    i += 2 if code[i] == "\\" else 1
                i += 1
        else:
            i += 1
    return False


def _is_python(info: str) -> bool:
    tag = info.strip().lower()
    return tag in ("", "py", "python", "python3")


def _block_end(lines: list[str], start: int) -> int | None:
    """The index of the line that closes the fenced block opened at `lines[start]` (None if it
    stays open). A fence closes only with one at least as long, made of the same character and
    without an info string; nested fences with a language tag stay inside, and a fence inside a
    Python block's open triple-quoted string is part of the string."""
    opening = _FENCE.match(lines[start])
    assert opening is not None
    fence, python = opening["fence"], _is_python(opening["info"])
    depth = 0
    for j in range(start + 1, len(lines)):
        inner = _FENCE.match(lines[j])
        if not (inner and inner["fence"][0] == fence[0] and len(inner["fence"]) >= len(fence)):
            continue
        if python and _in_open_triple_quote("\n".join(lines[start + 1 : j])):
            continue  # text of a string literal, e.g. a prompt that shows code
        if inner["info"].strip():
            depth += 1  # a nested opening fence with a language tag
        elif depth:
            depth -= 1
        else:
            return j
    return None


def _code_blocks(text: str) -> list[str]:
    """All top-level fenced blocks of `text` (see `_block_end` for where one closes)."""
    blocks: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if not _FENCE.match(lines[i]):
            i += 1
            continue
        end = _block_end(lines, i)
        # An unclosed fence (the model ran out of tokens): keep what it wrote.
        blocks.append("\n".join(lines[i + 1 : end if end is not None else len(lines)]))
        if end is None:
            break
        i = end + 1
    return blocks


def closes_first_code_block(text: str) -> bool:
    """Whether `text`'s last line is the fence that closes its first fenced block, by the rules
    `extract_code` reads blocks with. Text without an opening fence counts as closed: its
    fence can only end the answer."""
    lines = text.rstrip("\n").split("\n")
    first = next((i for i, line in enumerate(lines) if _FENCE.match(line)), None)
    if first is None or first == len(lines) - 1:
        return True
    return _block_end(lines, first) == len(lines) - 1


def extract_code(responses: list[str] | str) -> list[str | None] | str | None:
    """The largest fenced code block of each response (`None` where a response has none).

    Given a single string, returns a single result, as original STOP improvers sometimes call
    it that way.
    """
    if isinstance(responses, str):
        return extract_code([responses])[0]
    results: list[str | None] = []
    for response in responses:
        blocks = _code_blocks(response) if isinstance(response, str) else []
        blocks = [b for b in blocks if b.strip()]
        results.append(max(blocks, key=len) if blocks else None)
    return results
