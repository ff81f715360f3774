"""JSON with a safe, tagged encoding for numpy values: the only format crossing the boundary.

Decoding is faithful (an int stays int, a tuple stays tuple, an array keeps dtype and shape) so
task utilities can validate strictly; nothing is coerced and nothing is ever unpickled.

Decoding is also bounded, because the text comes from untrusted code: nesting depth, integer
range (64 bits), dtype (plain numbers of at most 8 bytes, strings of at most `MAX_STR_WIDTH`
characters) and the bytes an array may claim (`ARRAY_BYTES_PER_TEXT_BYTE` times the text's
length) are checked before anything is built, and every failure is a `DecodeError` (a
ValueError) naming the bound, never RecursionError, OverflowError or MemoryError.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

_TAGS = ("__ndarray__", "__npscalar__", "__tuple__", "__dict__")
# Plain data dtypes only: object ('O') and void ('V') arrays could smuggle arbitrary objects.
_SAFE_KINDS = frozenset("biufU")
MAX_DEPTH = 100  # lists, dicts and tags nested in one value
MAX_STR_WIDTH = 1024  # characters per element of a str array (dtype "<U1024")
MAX_NDIM = 32  # numpy's own limit is 64
INT_MIN, INT_MAX = -(1 << 63), (1 << 64) - 1  # what int64 and uint64 hold between them
# A decoded array may take this many bytes per byte of the text it came from (a float64 from
# "0," is 4x; the slack is for short strings in wide str dtypes). Claims beyond it are refused.
ARRAY_BYTES_PER_TEXT_BYTE = 8
_SCAN_CHUNK = 1 << 18  # bytes scanned at a time: bounds the scan's own memory


class DecodeError(ValueError):
    """The text is not a value this codec produces, or it exceeds one of the bounds."""


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


def decode(value: Any, array_bytes: int = 16 << 20, trusted: bool = False) -> Any:
    """Inverse of `encode` for parsed JSON; `array_bytes` bounds what arrays may take in all.
    Raises DecodeError on a malformed tag or a bound exceeded. Plain integers are bounded by
    `parse`, which untrusted text always goes through first. `trusted` (the host's own
    arguments, decoded in the child) skips the per-element checks of arrays: a third of the
    decoding time of a typical task's arguments."""
    return _Decoder(array_bytes, trusted, in_place=False).value(value, 0)


def dumps(value: Any) -> str:
    """`encode` then JSON text on one line."""
    return json.dumps(encode(value), separators=(",", ":"))


def parse(text: str | bytes, max_bytes: int | None = None, max_values: int | None = None) -> Any:
    """Plain JSON, bounded: at most `max_bytes`, `MAX_DEPTH` deep, integers within 64 bits, and
    at most about `max_values` values (containers, numbers, strings: what costs memory beyond
    the text itself)."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    if max_bytes is not None and len(data) > max_bytes:
        raise DecodeError(f"{len(data)} bytes of JSON, more than the {max_bytes} allowed")
    brackets = data.count(b"[") + data.count(b"{")
    maybe_too_many = max_values is not None and brackets + data.count(b",") >= max_values
    if brackets > MAX_DEPTH or maybe_too_many:  # else it cannot be too deep or too many
        # Brackets and commas inside strings do not count: scan past the strings.
        depth, values = _scan(data)
        if depth > MAX_DEPTH:
            raise DecodeError(f"JSON nested deeper than {MAX_DEPTH}")
        if max_values is not None and values > max_values:
            raise DecodeError(f"more than {max_values} values in one message")
    try:
        return json.loads(data, parse_int=_bounded_int)
    except RecursionError:  # not reachable after the depth check; kept as a last guard
        raise DecodeError(f"JSON nested deeper than {MAX_DEPTH}") from None
    except UnicodeDecodeError as exc:
        raise DecodeError(f"JSON is not UTF-8: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise DecodeError(f"malformed JSON: {exc}") from None


def loads(text: str | bytes, max_bytes: int | None = None) -> Any:
    """`parse` then `decode`, with arrays bounded by the text's length."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    parsed = parse(data, max_bytes)
    # In place: the parsed containers are ours, so peak memory is one copy, not two.
    decoder = _Decoder(ARRAY_BYTES_PER_TEXT_BYTE * len(data) + 4096, False, in_place=True)
    return decoder.value(parsed, 0)


def _scan(data: bytes) -> tuple[int, int]:
    """(deepest nesting, number of values) of JSON text, strings skipped; linear time and
    bounded memory on any input (vectorised over chunks, state carried between them). A quote
    is escaped when an odd run of backslashes precedes it; for text that is not JSON the
    figures may be off, and the parser refuses such text anyway."""
    depth = deepest = 0
    values, inside, run = 1, 0, 0  # run: backslashes just before the chunk
    for start in range(0, len(data), _SCAN_CHUNK):
        a = np.frombuffer(data, np.uint8, min(_SCAN_CHUNK, len(data) - start), start)
        backslash = a == 92
        # int32 throughout: a chunk's counts fit, and the scan's own memory stays ~20x a chunk.
        count = np.cumsum(backslash, dtype=np.int32) + np.int32(run % 2)
        runs = count - np.maximum.accumulate(np.where(backslash, np.int32(0), count))
        before = np.concatenate((np.array([run % 2], np.int32), runs[:-1]))
        quote = (a == 34) & (before % 2 == 0)
        outside = (np.cumsum(quote, dtype=np.int32) + inside) % 2 == 0
        opens = outside & ((a == 91) | (a == 123))
        step = opens.astype(np.int8) - (outside & ((a == 93) | (a == 125))).astype(np.int8)
        levels = np.cumsum(step, dtype=np.int32) + np.int32(min(depth, 1 << 30))
        if levels.size:
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
        values += int(opens.sum()) + int((outside & (a == 44)).sum())
        inside = (inside + int(quote.sum())) % 2
        run = int(runs[-1])
    return deepest, values


def _bounded_int(text: str) -> int:
    if len(text) > 21:  # no 64-bit integer needs more characters (sign included)
        raise DecodeError(f"integer of {len(text)} digits is outside 64 bits")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise DecodeError(f"integer {value} is outside 64 bits")
    return value


class _Decoder:
    def __init__(self, array_bytes: int, trusted: bool, in_place: bool) -> None:
        self.left = array_bytes  # what arrays may still take
        self.trusted, self.in_place = trusted, in_place

    def value(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise DecodeError(f"value nested deeper than {MAX_DEPTH}")
        if isinstance(value, list):  # scalars are taken as they are (the common, fast case)
            if not self.in_place:
                return [v if type(v) in _SCALARS else self.value(v, depth + 1) for v in value]
            for i, v in enumerate(value):
                if type(v) not in _SCALARS:
                    value[i] = self.value(v, depth + 1)
            return value
        if not isinstance(value, dict):
            return value
        if "__ndarray__" in value:
            return self.array(value)
        if "__npscalar__" in value:
            dtype = _safe_dtype(value.get("dtype"))
            return dtype.type(_element(value["__npscalar__"], dtype))
        if "__tuple__" in value:
            return tuple(self.value(_typed(value["__tuple__"], list), depth + 1))
        if "__dict__" in value:
            return self.mapping(_typed(value["__dict__"], dict), depth)
        return self.mapping(value, depth)

    def mapping(self, value: dict[str, Any], depth: int) -> dict[str, Any]:
        if not self.in_place:
            return {k: self.value(v, depth + 1) for k, v in value.items()}
        for k, v in value.items():
            if type(v) not in _SCALARS:
                value[k] = self.value(v, depth + 1)
        return value

    def array(self, value: dict[str, Any]) -> np.ndarray:
        dtype = _safe_dtype(value.get("dtype"))
        shape = _typed(value.get("shape", []), list)
        if len(shape) > MAX_NDIM or not all(type(n) is int and n >= 0 for n in shape):
            raise DecodeError(f"malformed ndarray shape {str(shape)[:100]}")
        size = math.prod(shape)
        if size * dtype.itemsize > self.left:
            raise DecodeError(
                f"ndarray of shape {tuple(shape)} and dtype {dtype} would take"
                f" {size * dtype.itemsize} bytes, more than its text allows"
            )
        self.left -= size * dtype.itemsize
        if self.trusted:
            array = np.array(value["__ndarray__"], dtype=dtype)
            if array.size != size:
                raise DecodeError("ndarray data does not match its shape")
            return array.reshape(shape)
        flat: list[Any] = []
        _flatten(value["__ndarray__"], shape, flat)
        _check_elements(flat, dtype)
        return np.array(flat, dtype=dtype).reshape(shape)


def _flatten(data: Any, shape: list[int], out: list[Any]) -> None:
    """Append the elements of `data` to `out`, requiring exactly `shape` (no ragged rows)."""
    if not shape:
        out.append(data)
        return
    if not isinstance(data, list) or len(data) != shape[0]:
        raise DecodeError("ndarray data does not match its shape")
    if len(shape) == 1:
        out.extend(data)
        return
    for row in data:
        _flatten(row, shape[1:], out)


def _check_elements(flat: list[Any], dtype: np.dtype) -> None:
    """Every element is exactly what an element of `dtype` encodes to (checked in bulk)."""
    if not flat:
        return
    types, kind = set(map(type, flat)), dtype.kind
    if not types <= _ELEMENT_TYPES[kind]:
        odd = next(x for x in flat if type(x) not in _ELEMENT_TYPES[kind])
        raise DecodeError(f"{type(odd).__name__} element {str(odd)[:40]!r} does not fit {dtype}")
    if kind in "iu":
        info = np.iinfo(dtype)
        if min(flat) < info.min or max(flat) > info.max:
            raise DecodeError(f"an element is out of range for dtype {dtype}")
    elif kind == "f" and dtype.itemsize < 8:
        finite = [abs(x) for x in flat if math.isfinite(x)]
        if finite and max(finite) > float(np.finfo(dtype).max):
            raise DecodeError(f"an element is out of range for dtype {dtype}")
    elif kind == "U" and max(map(len, flat)) > dtype.itemsize // 4:
        raise DecodeError(f"a string is longer than dtype {dtype} holds")


_SCALARS = frozenset({int, float, str, bool, type(None)})
_ELEMENT_TYPES = {"b": {bool}, "i": {int}, "u": {int}, "f": {float, int}, "U": {str}}


def _element(x: Any, dtype: np.dtype) -> Any:
    """`x` if it is exactly what an element of `dtype` encodes to; never coerced."""
    kind = dtype.kind
    if kind == "b" and type(x) is bool:
        return x
    if kind in "iu" and type(x) is int:
        info = np.iinfo(dtype)
        if info.min <= x <= info.max:
            return x
        raise DecodeError(f"{x} is out of range for dtype {dtype}")
    if kind == "f" and type(x) in (float, int):
        if math.isfinite(x) and abs(x) > float(np.finfo(dtype).max):
            raise DecodeError(f"{x} is out of range for dtype {dtype}")
        return x
    if kind == "U" and type(x) is str and len(x) <= dtype.itemsize // 4:
        return x
    raise DecodeError(f"{type(x).__name__} element {str(x)[:40]!r} does not fit dtype {dtype}")


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise DecodeError(f"malformed tag: expected a {kind.__name__}")
    return value


def _check_dtype(dtype: np.dtype) -> None:
    if dtype.kind not in _SAFE_KINDS:
        raise TypeError(f"numpy dtype {dtype} cannot cross the sandbox boundary")


def _safe_dtype(name: Any) -> np.dtype:
    if not isinstance(name, str) or len(name) > 16:
        raise DecodeError("missing or malformed dtype")
    try:
        dtype = np.dtype(name)
    except Exception:  # noqa: BLE001 - numpy's parser raises TypeError, ValueError, SyntaxError
        raise DecodeError(f"unknown dtype {name!r}") from None
    if dtype.kind not in _SAFE_KINDS or dtype.fields or dtype.subdtype:
        raise DecodeError(f"refusing dtype {name}")
    if dtype.kind == "U" and dtype.itemsize // 4 > MAX_STR_WIDTH:
        raise DecodeError(f"refusing dtype {name}: strings wider than {MAX_STR_WIDTH} characters")
    if dtype.kind != "U" and dtype.itemsize > 8:
        raise DecodeError(f"refusing dtype {name}: numbers wider than 8 bytes")
    return dtype
