"""JSON with a safe, tagged encoding for numpy values: the only format crossing the boundary.

Decoding is faithful (an int stays int, a tuple stays tuple, an array keeps dtype and shape) so
task utilities can validate strictly; nothing is coerced and nothing is ever unpickled.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

_TAGS = ("__ndarray__", "__npscalar__", "__tuple__", "__dict__")
# Plain data dtypes only: object ('O') and void ('V') arrays could smuggle arbitrary objects.
_SAFE_KINDS = frozenset("biufU")


def encode(value: Any) -> Any:
    """A JSON-serialisable form of `value`; raises TypeError for anything without one."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.ndarray):
        _check_dtype(value.dtype)
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        _check_dtype(value.dtype)
        return {"__npscalar__": value.item(), "dtype": value.dtype.str}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("dict keys must be str to cross the sandbox boundary")
        encoded = {k: encode(v) for k, v in value.items()}
        # A user dict that looks like one of our tags is wrapped, so it decodes back to itself.
        return {"__dict__": encoded} if any(t in value for t in _TAGS) else encoded
    raise TypeError(f"{type(value).__name__} cannot cross the sandbox boundary (not JSON)")


def decode(value: Any) -> Any:
    """Inverse of `encode`; raises ValueError on a malformed tag."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        dtype = _safe_dtype(value.get("dtype"))
        shape = tuple(int(n) for n in value.get("shape", ()))
        array = np.array(value["__ndarray__"], dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError("ndarray data does not match its shape")
        return array.reshape(shape)
    if "__npscalar__" in value:
        return _safe_dtype(value.get("dtype")).type(value["__npscalar__"])
    if "__tuple__" in value:
        return tuple(decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: decode(v) for k, v in value["__dict__"].items()}
    return {k: decode(v) for k, v in value.items()}


def dumps(value: Any) -> str:
    """`encode` then JSON text on one line."""
    return json.dumps(encode(value), separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """JSON text then `decode`."""
    return decode(json.loads(text))


def _check_dtype(dtype: np.dtype) -> None:
    if dtype.kind not in _SAFE_KINDS:
        raise TypeError(f"numpy dtype {dtype} cannot cross the sandbox boundary")


def _safe_dtype(name: Any) -> np.dtype:
    if not isinstance(name, str):
        raise ValueError("missing dtype")
    dtype = np.dtype(name)
    if dtype.kind not in _SAFE_KINDS:
        raise ValueError(f"refusing dtype {name}")
    return dtype
