"""Fixtures shared by every test.

Every test gets its own `STOP_HOME` (a temp dir), so no test reads or writes the user's run
store. The embedded model cache is the exception: it is resolved once, before any test patches
`STOP_HOME`, and kept shared through `STOP_MODELS_DIR`, so the 0.5 GB GGUF is assembled once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Resolved at import, i.e. before the autouse fixture below points STOP_HOME at a temp dir.
SHARED_MODELS_DIR = Path(
    os.environ.get("STOP_MODELS_DIR")
    or Path(os.environ.get("STOP_HOME") or Path.home() / ".cache" / "stop") / "models"
)


@pytest.fixture(autouse=True)
def isolated_stop_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh STOP_HOME per test, with the shared model cache, and no API keys from the
    environment (a test never spends money or talks to a real provider by accident)."""
    home = tmp_path / "stop-home"
    home.mkdir()
    monkeypatch.setenv("STOP_HOME", str(home))
    monkeypatch.setenv("STOP_MODELS_DIR", str(SHARED_MODELS_DIR))
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "STOP_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return home


@pytest.fixture
def store(tmp_path: Path):
    """A run store of its own for the test."""
    from stop.store import Store

    db = Store(tmp_path / "runs.db")
    yield db
    db.close()


@pytest.fixture(scope="session")
def local_model_path() -> Path:
    """The embedded 0.5B GGUF, assembled and verified (pulled on first use)."""
    os.environ.setdefault("STOP_MODELS_DIR", str(SHARED_MODELS_DIR))
    from stop.models import model_path

    return model_path()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_llama_server(model: Path, port: int, timeout_s: float = 120.0) -> subprocess.Popen:
    """`python -m llama_cpp.server` on 127.0.0.1:`port`, returned once /v1/models answers."""
    threads = str(len(os.sched_getaffinity(0)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--n_threads",
            threads,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"llama_cpp.server did not answer on port {port} within {timeout_s}s")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def free_tcp_port() -> int:
    """A port on 127.0.0.1 with nothing listening (a closed port, for unreachable servers)."""
    return free_port()


@pytest.fixture
def llama_server_factory(local_model_path: Path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Starts private llama.cpp servers (for tests that kill them); returns (process, base URL)
    pairs and stops whatever is left at the end of the test."""
    started: list[subprocess.Popen] = []

    def start() -> tuple[subprocess.Popen, str]:
        port = free_port()
        process = start_llama_server(local_model_path, port)
        started.append(process)
        return process, f"http://127.0.0.1:{port}/v1"

    yield start
    for process in started:
        stop_process(process)


@pytest.fixture(scope="session")
def llama_server(local_model_path: Path) -> Iterator[str]:
    """The base URL (…/v1) of a real llama.cpp server running the embedded model."""
    port = free_port()
    process = start_llama_server(local_model_path, port)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop_process(process)
