"""Loading the embedded model from several threads at once (the first requests of concurrent
improver runs): one engine, and the process's stdout still prints afterwards."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.model

# llama-cpp-python points fds 1 and 2 at /dev/null while it loads; two loads at once used to
# leave them there, so `stop improve` printed nothing after its runs.
CONCURRENT_FIRST_LOADS = """
import sys, threading
from stop.lm.llamacpp import shared_engine
engines = []
threads = [threading.Thread(target=lambda: engines.append(shared_engine(sys.argv[1])[0]))
           for _ in range(4)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print("engines:", len({id(engine) for engine in engines}), flush=True)
print("stderr still here", file=sys.stderr, flush=True)
"""


def test_concurrent_first_loads_share_one_engine_and_keep_stdout(local_model_path):
    done = subprocess.run(
        [sys.executable, "-c", CONCURRENT_FIRST_LOADS, str(local_model_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "engines: 1" in done.stdout
    assert "stderr still here" in done.stderr
