"""Helpers that improvers may import: `from stop.helpers import extract_code`.

Original STOP improvers write `from helpers import extract_code`; the sandbox makes that name
importable too (it is this module).
"""

from __future__ import annotations

import re

# An opening fence: three or more backticks (or tildes), optional language tag, end of line.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")


def _code_blocks(text: str) -> list[str]:
    """All top-level fenced blocks of `text`; a fence closes only with one at least as long
    made of the same character and without an info string, so nested fences stay inside."""
    blocks: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening["fence"]
        depth = 0
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            inner = _FENCE.match(lines[j])
            if inner and inner["fence"][0] == fence[0] and len(inner["fence"]) >= len(fence):
                if inner["info"].strip():
                    depth += 1  # a nested opening fence with a language tag
                elif depth:
                    depth -= 1
                else:
                    closed = True
                    break
            body.append(lines[j])
            j += 1
        if closed:
            blocks.append("\n".join(body))
            i = j + 1
        else:
            # An unclosed fence (the model ran out of tokens): keep what it wrote.
            blocks.append("\n".join(body))
            break
    return blocks


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
