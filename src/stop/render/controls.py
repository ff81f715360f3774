"""Which characters are invisible or rearrange text, and how they are spelt when shown.

Control characters (C0, DEL, C1) move the cursor, set window titles or clear screens; format
characters (Unicode Cf: bidi overrides and isolates, zero-width spaces, tag characters) reorder
or hide text; line and paragraph separators break lines where a reader expects none; lone
surrogates cannot be encoded at all; Hangul fillers are letters that draw nothing. Each is shown
as its Python escape (`\\x1b`, `\\u202e`), which a reader recognises and a terminal ignores.
"""

from __future__ import annotations

import re
import unicodedata

# Newline and tab are the only control characters shown as themselves.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Unicode 15 Cf, Zl and Zp (a superset of older Unicode versions; a test checks it against this
# Python's unicodedata), lone surrogates, and the Hangul fillers.
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
    "\u115f\u1160\u3164\uffa0"
)
INVISIBLE = re.compile(f"[{_CONTROL}{_FORMAT}]")


def escape_of(char: str) -> str:
    """`\\x1b`, `\\u202e` or `\\U000e0041`: how `char` is spelt when shown."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def name_of(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE` (the code point alone when Unicode gives no name)."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def normalise_newlines(text: str) -> str:
    """`\\r\\n` and a bare `\\r` become `\\n`, as Python's tokenizer and pygments read them."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def visible(text: str) -> str:
    """`text` with newlines normalised and every invisible character spelt as its escape."""
    return INVISIBLE.sub(lambda m: escape_of(m.group()), normalise_newlines(text))
