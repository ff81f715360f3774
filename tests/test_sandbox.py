"""The sandbox's behaviours, one per test, on the real sandbox (real namespaces where available)."""

from __future__ import annotations

import os
import socket
import threading

import numpy as np
import pytest

from stop.errors import SandboxError
from stop.sandbox import CallResult, Isolation, Limits, Sandbox, detect_isolation
from tests.sandbox_helpers import leftover_processes

FAST = Limits(cpu_seconds=1.0, wall_seconds=3.0, memory_bytes=512 << 20)
RLIMITS_ONLY = Isolation(
    network_namespace=False,
    pid_namespace=False,
    mount_namespace=False,
    readonly_root=False,
    rlimits=True,
    method="rlimits",
    warnings=["simulated: no namespaces"],
)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2) as sb:
        yield sb


def run(sb: Sandbox, body: str, *args: object, limits: Limits = FAST) -> CallResult:
    return sb.call(body, "main", list(args), limits)


def test_returns_values(sandbox):
    r = run(
        sandbox, "def main(a, b):\n    print('hi')\n    return {'sum': a + b, 't': (a, b)}", 2, 3
    )
    assert r.ok and r.value == {"sum": 5, "t": (2, 3)} and r.stdout == "hi\n" and r.error == ""
    assert type(r.value["sum"]) is int


def test_numpy_round_trip(sandbox):
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    r = run(sandbox, "def main(a):\n    return [a * 2, a.dtype.str, a.shape, a[0, 0]]", a)
    assert r.ok
    doubled, dtype, shape, first = r.value
    assert doubled.dtype == np.int32 and doubled.shape == (3, 4) and (doubled == a * 2).all()
    assert dtype == a.dtype.str and shape == (3, 4) and isinstance(first, np.int32)


def test_exception_with_traceback(sandbox):
    r = run(sandbox, "def helper():\n    raise ValueError('nope')\n\ndef main():\n    helper()")
    assert r.status == "exception" and r.value is None
    assert "ValueError: nope" in r.error and 'File "<solution>", line 2, in helper' in r.error


def test_timeout_by_cpu_busy_loop(sandbox):
    r = run(sandbox, "def main():\n    while True:\n        pass", limits=Limits(cpu_seconds=0.3))
    assert r.status == "timeout" and "CPU" in r.error
    assert 0.3 <= r.cpu_seconds < 0.6


def test_cpu_time_not_wall_time_is_measured(sandbox):
    r = run(
        sandbox,
        "import time\ndef main():\n    time.sleep(0.4)\n    return 1",
        limits=Limits(cpu_seconds=0.2),
    )
    assert r.ok and r.cpu_seconds < 0.2 and r.wall_seconds >= 0.4


def test_timeout_by_wall_sleep(sandbox):
    r = run(
        sandbox, "import time\ndef main():\n    time.sleep(60)", limits=Limits(wall_seconds=0.5)
    )
    assert r.status == "timeout" and "wall" in r.error and r.wall_seconds < 2


def test_memory_bomb_gives_memory(sandbox):
    body = "def main():\n    x = []\n    while True:\n        x.append(bytearray(10 << 20))"
    r = run(sandbox, body, limits=Limits(memory_bytes=256 << 20))
    assert r.status == "memory"


def test_fork_bomb_is_contained(sandbox):
    limits = Limits(max_processes=1, cpu_seconds=1, wall_seconds=2)
    assert limits.max_processes == 1  # no forking at all: the bomb cannot start
    r = run(sandbox, "import os\ndef main():\n    while True:\n        os.fork()", limits=limits)
    assert r.status == "violation" and "Resource temporarily unavailable" in r.error
    assert leftover_processes(sandbox) == []


def test_fork_bomb_with_small_process_allowance_is_contained(sandbox):
    if detect_isolation().method != "unshare-root":
        pytest.skip("needs a private uid per worker (root), else the user's processes count")
    limits = Limits(max_processes=4, cpu_seconds=1, wall_seconds=1.5)
    body = (
        "import os\n"
        "def main():\n"
        "    while True:\n"
        "        try:\n"
        "            os.fork()\n"
        "        except OSError:\n"
        "            pass\n"
    )
    r = run(sandbox, body, limits=limits)
    assert r.status == "timeout"
    assert leftover_processes(sandbox) == []


def test_output_bomb_is_capped(sandbox):
    body = "def main():\n    for _ in range(2000):\n        print('x' * 10000)\n    return 7"
    r = run(sandbox, body, limits=Limits(output_bytes=1000))
    assert r.ok and r.value == 7
    assert r.stdout.startswith("x" * 1000) and len(r.stdout) < 1100 and "bytes dropped" in r.stdout


def test_file_size_bomb_is_refused(sandbox):
    body = "def main():\n    with open('f', 'wb') as f:\n        f.write(b'0' * (4 << 20))"
    r = run(sandbox, body, limits=Limits(file_size_bytes=1 << 20))
    assert r.status == "violation" and "File too large" in r.error


def test_no_network(sandbox):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    body = (
        "import socket\n"
        "def main(port):\n"
        "    socket.create_connection(('127.0.0.1', port), timeout=1)\n"
        "    return 'connected'\n"
    )
    try:
        r = run(sandbox, body, port)
    finally:
        listener.close()
    assert r.status == ("violation" if sandbox.isolation.network_namespace else "ok")
    if not sandbox.isolation.network_namespace:
        pytest.skip("no network namespace here: the connection is not blocked")


def test_env_has_no_api_keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-must-not-leak")
    with Sandbox(workers=1, preload=()) as sb:
        r = sb.call("import os\ndef main():\n    return dict(os.environ)", "main", [])
    assert r.ok and "OPENAI_API_KEY" not in r.value
    assert "sk-test-must-not-leak" not in repr(r.value)
    assert r.value["HOME"] == os.path.realpath(r.value["HOME"]) and r.value["PATH"].count(":") <= 3


def test_setsid_escape_is_killed_at_deadline(sandbox):
    body = (
        "import os, time\n"
        "def main():\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            while True:\n"
        "                time.sleep(0.01)\n"
        "        os._exit(0)\n"
        "    time.sleep(60)\n"
    )
    r = run(sandbox, body, limits=Limits(max_processes=4, wall_seconds=1))
    assert r.status == "timeout"
    assert leftover_processes(sandbox) == []


def test_child_cannot_write_outside_its_temp_dir(sandbox, tmp_path):
    target = tmp_path / "outside"
    body = (
        "import os\n"
        "def main(paths):\n"
        "    ok = []\n"
        "    open('inside.txt', 'w').write('fine')\n"
        "    for p in paths:\n"
        "        try:\n"
        "            open(p, 'w').write('pwned')\n"
        "            ok.append(p)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return ok\n"
    )
    r = run(
        sandbox, body, [str(target), "/tmp/stop-escape", "/etc/stop-escape", "/work/stop-escape"]
    )
    assert r.ok and r.value == []
    assert not target.exists() and not os.path.exists("/tmp/stop-escape")


def test_worker_survives_a_crash_and_serves_the_next_call(sandbox):
    crashed = [run(sandbox, "import os\ndef main():\n    os.abort()") for _ in range(3)]
    assert all(r.status == "crashed" for r in crashed)
    assert run(sandbox, "def main():\n    return 'alive'").value == "alive"


def test_concurrent_call_many_from_threads(sandbox):
    body = "def main(i):\n    return i * i"
    results: dict[int, list] = {}

    def worker(k: int) -> None:
        results[k] = sandbox.call_many(body, "main", [[k * 100 + i] for i in range(10)], FAST)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert [r.value for r in results[k]] == [(k * 100 + i) ** 2 for i in range(10)]


def test_bad_output_for_non_json_return(sandbox):
    r = run(sandbox, "def main():\n    return {1, 2}")
    assert r.status == "bad_output" and "set" in r.error


def test_require_isolation_refuses_without_namespaces():
    with pytest.raises(SandboxError, match="isolation required"):
        Sandbox(workers=1, require_isolation=True, isolation=RLIMITS_ONLY)


def test_rlimits_only_mode_still_contains_cpu_memory_and_forks():
    with pytest.warns(RuntimeWarning, match="NO NAMESPACE ISOLATION"):
        sb = Sandbox(workers=1, preload=(), isolation=RLIMITS_ONLY)
    with sb:
        assert run(sb, "def main(a):\n    return a + 1", 1).value == 2
        assert (
            run(
                sb, "def main():\n    while True:\n        pass", limits=Limits(cpu_seconds=0.2)
            ).status
            == "timeout"
        )
        mem = run(
            sb, "def main():\n    return bytearray(1 << 30)", limits=Limits(memory_bytes=256 << 20)
        )
        assert mem.status == "memory"
        fork = run(sb, "import os\ndef main():\n    while True:\n        os.fork()")
        assert fork.status == "violation"
        assert leftover_processes(sb) == []


def test_detected_isolation_is_reported(sandbox):
    iso = sandbox.isolation
    assert iso.to_dict()["method"] == iso.method and iso.rlimits
    if os.geteuid() == 0:
        assert iso.full, iso.warnings  # CI runs as root: every layer must be active there


def test_closed_sandbox_refuses_calls():
    sb = Sandbox(workers=1, preload=())
    sb.close()
    with pytest.raises(SandboxError, match="closed"):
        sb.call("def main():\n    return 1", "main", [])


RANDOMISED = """
import random
import numpy as np

def draw(n):
    return [random.random(), float(np.random.rand()), n]
"""


def test_a_randomised_program_gives_the_same_output_for_the_same_input(sandbox):
    first = sandbox.call(RANDOMISED, "draw", [1], FAST)
    again = sandbox.call(RANDOMISED, "draw", [1], FAST)
    assert first.ok and first.value == again.value


def test_a_randomised_program_draws_differently_for_different_inputs(sandbox):
    results = sandbox.call_many(RANDOMISED, "draw", [[1], [2]], FAST)
    assert results[0].value[:2] != results[1].value[:2]


def test_a_worker_that_dies_is_replaced_and_the_next_calls_run():
    with Sandbox(workers=1, preload=()) as sb:
        sb._handles[0].proc.kill()
        first = run(sb, "def main():\n    return 1")
        assert first.status == "crashed" and "worker restarted" in first.error
        assert [run(sb, "def main():\n    return 2").value for _ in range(2)] == [2, 2]


def test_without_namespaces_a_deep_directory_chain_is_still_cleaned_up():
    with pytest.warns(RuntimeWarning, match="NO NAMESPACE ISOLATION"):
        sb = Sandbox(workers=1, preload=(), isolation=RLIMITS_ONLY)
    deep = (
        "import os\n"
        "def main():\n"
        "    found = os.listdir('.')\n"
        "    for _ in range(1100):  # deeper than the recursion limit\n"
        "        os.mkdir('d')\n"
        "        os.chdir('d')\n"
        "    return found\n"
    )
    with sb:
        assert [run(sb, deep).value for _ in range(2)] == [[], []]
