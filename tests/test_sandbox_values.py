"""Class 1: no value a candidate returns (or forges) can raise in the host. Decoding is bounded
(depth, size, integer range, dtype width) and fails only with `DecodeError`; every built-in
task judges whatever decodes without raising; `stop tasks score` scores such a solution 0."""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from stop.sandbox import CallResult, codec
from stop.sandbox.codec import DecodeError
from stop.tasks import get_task, list_tasks
from stop.tasks.evaluate import judge_result

HOSTILE_TEXTS = {
    "deep list": "[" * 100_000 + "]" * 100_000,
    "deep dict": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "deep tags": '{"__tuple__":' * 200 + "[]" + "}" * 200,
    "400-digit int": str(10**400),
    "int above uint64": str(2**64),
    "int below int64": str(-(2**63) - 1),
    "int64 array overflow": '{"__ndarray__":[9223372036854775808],"dtype":"<i8","shape":[1]}',
    "int8 scalar overflow": '{"__npscalar__":300,"dtype":"|i1"}',
    "float32 overflow": '{"__ndarray__":[1e300],"dtype":"<f4","shape":[1]}',
    "wide str dtype": '{"__ndarray__":[""],"dtype":"<U5000000","shape":[1]}',
    "float128": '{"__ndarray__":[1.0],"dtype":"<f16","shape":[1]}',
    "object dtype": '{"__ndarray__":[1],"dtype":"|O","shape":[1]}',
    "structured dtype": '{"__ndarray__":[[1,2]],"dtype":"<i4,<i4","shape":[1]}',
    "huge shape claim": '{"__ndarray__":[],"dtype":"<f8","shape":[1000000000000]}',
    "overflowing shape": '{"__ndarray__":[],"dtype":"<i8","shape":[4611686018427387904,4]}',
    "negative shape": '{"__ndarray__":[],"dtype":"<i8","shape":[-1]}',
    "ragged rows": '{"__ndarray__":[[1],[1,2]],"dtype":"<i8","shape":[2,1]}',
    "wide claim from short strings": (
        '{"__ndarray__":[' + ",".join(['""'] * 20_000) + '],"dtype":"<U1024","shape":[20000]}'
    ),
    "bool coerced to int8": '{"__ndarray__":[true],"dtype":"|i1","shape":[1]}',
    "str coerced to int": '{"__npscalar__":"5","dtype":"<i8"}',
    "float coerced to bool": '{"__ndarray__":[0.5],"dtype":"|b1","shape":[1]}',
    "malformed tuple": '{"__tuple__":5}',
    "dtype not a string": '{"__ndarray__":[1],"dtype":["<i8"],"shape":[1]}',
    "unknown dtype": '{"__ndarray__":[1],"dtype":"<q9","shape":[1]}',
    # Quadratic for a backtracking string pattern: each escaped quote restarted a scan.
    "escaped quote run": b"[" * 101 + b'"' + b'\\"' * 350_000,
    "unterminated strings": b"[" * 101 + b'"' * 350_000,
    "not json": "{{{",
    "not utf-8": b'"\xff\xfe"',
}


@pytest.mark.parametrize("text", HOSTILE_TEXTS.values(), ids=HOSTILE_TEXTS.keys())
def test_a_hostile_text_fails_to_decode_with_a_decode_error(text):
    with pytest.raises(DecodeError):
        codec.loads(text)


def test_a_text_longer_than_its_cap_is_refused_before_parsing():
    with pytest.raises(DecodeError, match="more than the 1000 allowed"):
        codec.loads("[" + "1," * 1000 + "1]", max_bytes=1000)


def test_values_at_the_bounds_still_decode():
    deep = "[" * codec.MAX_DEPTH + "]" * codec.MAX_DEPTH
    assert codec.loads(deep) is not None
    assert codec.loads(str(2**64 - 1)) == 2**64 - 1 and codec.loads(str(-(2**63))) == -(2**63)
    wide = codec.loads('{"__ndarray__":["ab"],"dtype":"<U1024","shape":[1]}')
    assert wide.dtype == np.dtype("<U1024") and wide[0] == "ab"
    assert codec.loads('{"__ndarray__":[[],[]],"dtype":"<i8","shape":[2,0]}').shape == (2, 0)


def test_brackets_inside_strings_do_not_count_as_depth():
    text = json.dumps(["[" * 1000, '"\\[' * 100])
    assert codec.loads(text) == ["[" * 1000, '"\\[' * 100]


def test_random_corruptions_of_valid_encodings_never_raise_anything_but_decode_error():
    rng = random.Random(12)
    values = [
        [1, 2.5, "x", None, True],
        (np.arange(6, dtype=np.int32).reshape(2, 3), {"k": np.float32(1.5)}),
        {"__ndarray__": "user dict", "nested": [[1], [2, (3,)]]},
        np.array(["ab", "c"]),
        np.array([True, False]),
    ]
    alphabet = b'[]{}",:0123456789-.eE tfnaulrs_U<>|ib\\'
    for _ in range(3000):
        text = bytearray(codec.dumps(rng.choice(values)).encode())
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(text))
            if rng.random() < 0.5:
                text[i] = rng.choice(alphabet)
            else:
                text[i:i] = bytes([rng.choice(alphabet)]) * rng.randint(1, 30)
        with contextlib.suppress(DecodeError):
            codec.loads(bytes(text))


ODD_VALUES = [
    None,
    True,
    0,
    2**64 - 1,
    -(2**63),
    1e308,
    float("nan"),
    float("inf"),
    "AB" * 20,
    "",
    [],
    [2**64 - 1] * 200,
    [-(2**63)] * 200,
    [float("nan")] * 200,
    [float("inf")] * 200,
    [1e308] * 200,
    [True] * 200,
    [[0]] * 200,
    ["A"] * 200,
    (0, 1),
    {"x": 1},
    np.full(200, np.iinfo(np.uint64).max, dtype=np.uint64),
    np.full(200, np.iinfo(np.int64).min, dtype=np.int64),
    np.full(200, np.nan, dtype=np.float32),
    np.zeros((200, 1)),
    np.array(["A"] * 200),
    np.uint64(2**64 - 1),
]


@pytest.mark.parametrize("task_name", [t.name for t in list_tasks()])
def test_every_task_judges_odd_values_without_raising(task_name):
    task = get_task(task_name)
    problem = task.scorer.problem
    instance = task.scorer.instances("visible", 1, 1)[0]
    for value in ODD_VALUES:
        decoded = codec.loads(codec.dumps(value))  # what reaches the judge: a decoded value
        result = CallResult("ok", decoded, "", "", "", 0.001, 0.001)
        verdict = judge_result(problem, instance, result)
        assert 0.0 <= verdict.value <= 1.0
        if verdict.value > 0:  # only a real answer may score; these are not
            assert task_name == "string_grid_distance" and isinstance(value, str), value


def score_cli(tmp_path, task: str, solution: str) -> subprocess.CompletedProcess:
    path = tmp_path / "solution.py"
    path.write_text(solution)
    command = [sys.executable, "-c", "from stop.cli import main; main()", "tasks", "score"]
    command += [task, str(path), "--secret", "--repeats", "1"]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


HOSTILE_SOLUTIONS = {
    "huge ints": "def algorithm(a, b, c):\n    return [10**400] * len(c)\n",
    "forged deep json": (
        "import os\ndef algorithm(a, b, c):\n"
        "    os.write(3, b'{\"status\":\"ok\"}\\n' + b'[' * 100000 + b']' * 100000)\n"
        "    os._exit(0)\n"
    ),
    "forged int64 overflow": (
        "import os\ndef algorithm(a, b, c):\n"
        '    os.write(3, b\'{"status":"ok"}\\n{"__ndarray__":[18446744073709551616],\'\n'
        '             b\'"dtype":"<i8","shape":[1]}\')\n'
        "    os._exit(0)\n"
    ),
    "forged wide dtype": (
        "import os\ndef algorithm(a, b, c):\n"
        '    os.write(3, b\'{"status":"ok"}\\n{"__ndarray__":[""],\'\n'
        '             b\'"dtype":"<U5000000","shape":[1]}\')\n'
        "    os._exit(0)\n"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("solution", HOSTILE_SOLUTIONS.values(), ids=HOSTILE_SOLUTIONS.keys())
def test_stop_tasks_score_scores_a_hostile_value_zero_with_a_reason(tmp_path, solution):
    done = score_cli(tmp_path, "lpn", solution)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "bad_output" in done.stdout and "0.000" in done.stdout, done.stdout


@pytest.mark.parametrize(
    "item", [b"[]", b"{}", b"[0]", b'{"a":[]}', b"0.5", b'""'], ids=lambda b: b.decode()
)
def test_decoding_takes_at_most_32_bytes_per_byte_of_text(item):
    text = b"[" + b",".join([item] * 20_000) + b"]"
    tracemalloc.start()
    try:
        value = codec.loads(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(value) == 20_000 and peak <= 32 * len(text), peak / len(text)
