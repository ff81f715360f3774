"""The one LM server both systems share: the real `llama_cpp.server` or the fixed-latency stand-in.

Both run as a child process on 127.0.0.1 and a free port; `LMServer.stop()` ends only that child.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LMServer:
    kind: str  # "llama" or "standin"
    process: subprocess.Popen
    port: int
    model_name: str
    log_path: Path

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    kind: str,
    workdir: Path,
    *,
    gguf: Path | None = None,
    n_ctx: int = 4096,
    latency: float = 0.2,
    threads: int | None = None,
    port: int | None = None,
    python: Path | None = None,
) -> LMServer:
    """Start the server (on `port`, else a free one) and wait until it answers /v1/models;
    RuntimeError with its log if not."""
    port = port or free_port()
    log_path = workdir / f"{kind}-server.log"
    if kind == "llama":
        if gguf is None:
            raise ValueError("the llama server needs a GGUF path")
        cmd = [
            str(python or sys.executable), "-m", "llama_cpp.server", "--model", str(gguf),
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
            "--model_alias", "local",
        ]  # fmt: skip
        if threads:
            cmd += ["--n_threads", str(threads)]
        model_name = "local"
    elif kind == "standin":
        cmd = [
            sys.executable, str(BENCH / "standin_server.py"),
            "--port", str(port), "--latency", str(latency),
        ]  # fmt: skip
        model_name = "standin"
    else:
        raise ValueError(f"unknown server kind {kind!r}: use 'llama' or 'standin'")
    log = log_path.open("a")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = LMServer(kind, process, port, model_name, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(server.root + "/v1/models", timeout=5):
                return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"{kind} server not ready after {READY_TIMEOUT_S:.0f}s; see {log_path}")


@contextlib.contextmanager
def model_lock(path: Path | None) -> Iterator[None]:
    """Hold the machine's shared model lock (`flock PATH`, as the shell's flock(1) takes it)
    for the duration; nothing when `path` is None. One model process at a time on 2 cores."""
    if path is None:
        yield
        return
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
