"""Untrusted values to JSON that every parser accepts.

Two things Python's `json` lets through break the file for everyone else: a lone surrogate
(`"\\ud800"` from a model's broken emoji; it cannot even be encoded as UTF-8, so a writer crashes
half-way) and NaN or Infinity (bare `NaN` is not JSON). Lone surrogates become U+FFFD (a pair
split over two code points is joined back first); non-finite numbers become `null`, as
JavaScript's `JSON.stringify` does.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` encodable as UTF-8: surrogate pairs joined, lone surrogates replaced by U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean(value: Any) -> Any:
    """`value` with every string cleaned, non-finite floats as None, other objects as str."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean_text(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return clean_text(str(value))


def dumps(value: Any, **kwargs: Any) -> str:
    """Strict JSON text of `value` (see `clean`); keyword arguments go to `json.dumps`."""
    return json.dumps(clean(value), allow_nan=False, ensure_ascii=False, **kwargs)
