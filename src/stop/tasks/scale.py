"""The range a task's scores lie in, as a run records it and as people read it.

A scale is `(low, high)` or None (any real number, higher is better: an OpenEvolve
`combined_score`). Runs store it as `[low, high]` or null beside their results, so a report
can say what the numbers mean after the task folder is gone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Scale = tuple[float, float] | None
UNIT: Scale = (0.0, 1.0)  # the built-in tasks' scale, and what a run recorded before scales were


def describe(scale: Scale) -> str:
    """How scores on `scale` read, e.g. "in [0, 1]" or "any real number, …"."""
    if scale is None:
        return "any real number, higher is better (not confined to [0, 1])"
    return f"in [{scale[0]:g}, {scale[1]:g}]"


def note(task: str, scale: Scale) -> str | None:
    """One line saying what scores of `task` are, or None when they are in [0, 1]."""
    return None if scale == UNIT else f"scores of {task} are {describe(scale)}"


def axis_label(quantity: str, scales: Sequence[Scale]) -> str:
    """A chart axis for `quantity` measured on `scales` (one per series): the scale is named
    when it is not [0, 1], and a chart whose series differ in scale says so."""
    kinds = set(scales)
    if not kinds or kinds == {UNIT}:
        return quantity
    if len(kinds) > 1:
        return f"{quantity} (scales differ by run)"
    (scale,) = kinds
    # describe()'s unbounded text is a sentence, too long for an axis.
    return f"{quantity} (any real number)" if scale is None else f"{quantity} {describe(scale)}"


def stored(scale: Scale) -> list[float] | None:
    """`scale` as a run records it (JSON): `[low, high]` or null."""
    return None if scale is None else [float(scale[0]), float(scale[1])]


def recorded(record: Mapping[str, Any]) -> Scale:
    """The scale a stored result or transfer row carries under "scale".

    A record without the key was made before runs recorded scales, when every score was in
    [0, 1]; a value that is not two finite numbers low < high reads as unbounded (nothing is
    claimed about a range the record does not give)."""
    if "scale" not in record:
        return UNIT
    value = record["scale"]
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return None
    low, high = float(value[0]), float(value[1])
    return (low, high) if math.isfinite(low) and math.isfinite(high) and low < high else None
