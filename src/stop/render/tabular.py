"""Untrusted text to CSV: a cell a spreadsheet shows, never runs.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (or a tab
or carriage return before one) as a formula: `=HYPERLINK("http://…")` in a model-written solution
becomes a live link. Such cells get a leading `'`, the spreadsheet convention for "this is text"
(OWASP's advice for CSV injection). Numbers are left alone, so `-0.5` stays a number.
"""

from __future__ import annotations

from typing import Any

from stop.render.jsonsafe import clean, clean_text, dumps

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: Any) -> Any:
    """`value` for one CSV cell: nested values as strict JSON text, formula-like text quoted."""
    if isinstance(value, dict | list | tuple):
        value = dumps(value)
    elif isinstance(value, str):
        value = clean_text(value)
    else:
        return clean(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value
