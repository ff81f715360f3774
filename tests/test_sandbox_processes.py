"""`Limits.max_processes = k` lets a call start up to k - 1 threads and processes, and every one
of them ends with the call (each call is init of its own PID namespace)."""

from __future__ import annotations

import os
import uuid

import pytest

from stop.sandbox import Limits, Sandbox
from tests.sandbox_helpers import leftover_processes, processes_with

LIMITS = Limits(cpu_seconds=2.0, wall_seconds=3.0, memory_bytes=512 << 20, max_processes=4)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=1) as sb:
        if sb.isolation.method != "unshare-root":
            pytest.skip("exact process counts need a private uid per worker (run as root)")
        yield sb


THREADS = """
import threading

def main(n):
    gate = threading.Event()
    threads = [threading.Thread(target=gate.wait) for _ in range(n)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    return n
"""


def test_threads_can_start_up_to_max_processes_minus_one(sandbox):
    r = sandbox.call(THREADS, "main", [3], LIMITS)
    assert r.ok and r.value == 3, r.error


def test_one_thread_more_than_max_processes_allows_is_a_violation(sandbox):
    r = sandbox.call(THREADS, "main", [4], LIMITS)
    assert r.status == "violation" and "can't start new thread" in r.error


def test_max_processes_one_allows_no_thread(sandbox):
    r = sandbox.call(THREADS, "main", [1], Limits(max_processes=1))
    assert r.status == "violation"


def test_a_thread_pool_executor_runs(sandbox):
    body = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def main(xs):\n"
        "    with ThreadPoolExecutor(max_workers=3) as pool:\n"
        "        return list(pool.map(lambda x: x * x, xs))\n"
    )
    r = sandbox.call(body, "main", [[1, 2, 3, 4]], LIMITS)
    assert r.ok and r.value == [1, 4, 9, 16], r.error


SUBPROCESSES = """
import os, subprocess, sys

def main():
    with open("helper.py", "w") as f:
        f.write("import sys\\nprint(int(sys.argv[1]) * 2)\\n")
    path = os.path.abspath("helper.py")
    ran = subprocess.run([sys.executable, path, "20"], capture_output=True, text=True, timeout=10)
    popen = subprocess.Popen([sys.executable, path, "21"], stdout=subprocess.PIPE, text=True)
    out, _ = popen.communicate(timeout=10)
    return [ran.returncode, ran.stdout, popen.returncode, out]
"""


def test_subprocesses_of_a_script_in_the_scratch_dir_run_with_a_timeout(sandbox):
    r = sandbox.call(SUBPROCESSES, "main", [], LIMITS)
    assert r.ok and r.value == [0, "40\n", 0, "42\n"], r.error


OUTLIVE = """
import os, subprocess, sys

def main(marker):
    with open("sleeper.py", "w") as f:
        f.write("import time\\nwhile True:\\n    time.sleep(0.05)\\n")
    # A new session, stdout closed, not waited for: all it can do to outlive the call.
    subprocess.Popen([sys.executable, os.path.abspath("sleeper.py"), marker],
                     start_new_session=True, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
    if os.fork() == 0:  # and a double-forked daemon
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, os.path.abspath("sleeper.py"), marker])
        os._exit(0)
    return "started"
"""


def test_processes_that_try_to_outlive_the_call_end_with_it(sandbox):
    marker = f"stop-outlive-{uuid.uuid4().hex}"
    r = sandbox.call(OUTLIVE, "main", [marker], LIMITS)
    assert r.ok and r.value == "started", r.error
    assert processes_with(marker) == [] and leftover_processes(sandbox) == []


def test_processes_running_at_the_deadline_end_with_the_call(sandbox):
    marker = f"stop-outlive-{uuid.uuid4().hex}"
    body = OUTLIVE.replace('return "started"', "import time\n    time.sleep(60)")
    r = sandbox.call(body, "main", [marker], Limits(max_processes=4, wall_seconds=1.0))
    assert r.status == "timeout"
    assert processes_with(marker) == [] and leftover_processes(sandbox) == []


def test_each_call_is_init_of_its_own_pid_namespace(sandbox):
    body = "import os\ndef main():\n    return os.getpid()"
    first, second = (sandbox.call(body, "main", [], LIMITS) for _ in range(2))
    assert first.value == second.value == 1 and os.getpid() != 1
