"""Strict output checks: an output is exactly what was asked or it scores 0.

Never broadcast, never coerce: a scalar where a vector is expected, a (n, 1) array, a string of
digits or a nested list is rejected with a reason, not reshaped into something that scores.
Whatever the value (huge integers, NaN, infinities), a check either returns or raises `Invalid`.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Invalid(Exception):
    """The output does not have the required type, shape, length or value set."""


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def _is_number(x: Any) -> bool:
    return isinstance(x, bool | int | float | np.bool_ | np.integer | np.floating)


def numeric_vector(output: Any, length: int, what: str) -> np.ndarray:
    """`output` as a 1-D array of `length` numbers, if it is a list or a 1-D ndarray of them."""
    expected = f"{what}: a list or 1-D ndarray of length {length}"
    if isinstance(output, np.ndarray):
        if output.ndim != 1 or output.shape != (length,):
            raise Invalid(f"expected {expected}, got {_describe(output)}")
        if output.dtype.kind not in "biuf":
            raise Invalid(f"expected numbers in {what}, got dtype {output.dtype}")
        return _finite(output, what)
    if isinstance(output, list):
        if len(output) != length:
            raise Invalid(f"expected {expected}, got {_describe(output)}")
        for x in output:
            if not _is_number(x):
                raise Invalid(
                    f"expected numbers in {what}, got an element of type {type(x).__name__}"
                )
        try:
            return _finite(np.array(output, dtype=float), what)
        except OverflowError:  # an int beyond what a float holds
            raise Invalid(f"expected numbers of float range in {what}") from None
    raise Invalid(f"expected {expected}, got {_describe(output)}")


def _finite(vec: np.ndarray, what: str) -> np.ndarray:
    if vec.dtype.kind == "f" and not np.isfinite(vec).all():
        raise Invalid(f"expected finite numbers in {what}, got NaN or infinity")
    return vec


def binary_vector(output: Any, length: int, what: str) -> np.ndarray:
    """`output` as a 0/1 integer vector of `length`; values must be exactly 0 or 1."""
    vec = numeric_vector(output, length, what)
    values = np.asarray(vec, dtype=float)
    if not np.all((values == 0) | (values == 1)):
        raise Invalid(f"expected only values 0 and 1 in {what}")
    return values.astype(np.int64)


def permutation(output: Any, n: int, what: str) -> np.ndarray:
    """`output` as a permutation of 0..n-1; elements must be integers (not floats or bools)."""
    vec = numeric_vector(output, n, what)
    if isinstance(output, np.ndarray):
        if output.dtype.kind not in "iu":
            raise Invalid(f"expected integer entries in {what}, got dtype {output.dtype}")
    elif not all(isinstance(x, int | np.integer) and not isinstance(x, bool) for x in output):
        raise Invalid(f"expected integer entries in {what}")
    values = np.asarray(vec)
    # Range first: casting an out-of-range number to int64 is undefined, not an error.
    if values.size and not (values.min() >= 0 and values.max() < n):
        raise Invalid(f"expected {what} to be a permutation of 0..{n - 1}")
    perm = values.astype(np.int64)
    if sorted(perm.tolist()) != list(range(n)):
        raise Invalid(f"expected {what} to be a permutation of 0..{n - 1}")
    return perm
