"""The boundary format: faithful round trips, no coercion, nothing unsafe; the public API."""

from __future__ import annotations

import json

import numpy as np
import pytest

import stop.sandbox
from stop.sandbox import decode, encode


@pytest.mark.parametrize(
    "value",
    [1, 1.5, "s", None, True, [1, [2]], (1, "a"), {"k": (1, 2)}, {"__ndarray__": "user dict"}],
    ids=repr,
)
def test_plain_values_round_trip_exactly(value):
    back = decode(json.loads(json.dumps(encode(value))))
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("dtype", ["int64", "int8", "uint16", "float32", "bool", "<U3"])
def test_ndarray_keeps_dtype_and_shape(dtype):
    a = (
        np.zeros((2, 0, 3), dtype=dtype)
        if dtype == "<U3"
        else np.arange(6).reshape(2, 3).astype(dtype)
    )
    back = decode(json.loads(json.dumps(encode(a))))
    assert back.dtype == a.dtype and back.shape == a.shape and (back == a).all()


def test_numpy_scalar_keeps_its_type():
    assert type(decode(encode(np.int32(7)))) is np.int32


@pytest.mark.parametrize("value", [object(), {1: 2}, {1, 2}, b"x", np.array([object()])], ids=repr)
def test_unencodable_values_are_refused(value):
    with pytest.raises(TypeError):
        encode(value)


def test_object_dtype_is_refused_on_decode():
    with pytest.raises(ValueError):
        decode({"__ndarray__": [1], "dtype": "|O", "shape": [1]})


def test_public_api_is_pinned():
    assert sorted(stop.sandbox.__all__) == [
        "CallResult",
        "HostLanguageModel",
        "HostUtility",
        "ImproverResult",
        "Isolation",
        "Limits",
        "Sandbox",
        "Status",
        "decode",
        "default_sandbox",
        "detect_isolation",
        "encode",
        "run_improver",
    ]
