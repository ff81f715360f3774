"""Every program in tests/hostile/ is contained: the recorded status is the expected one and the
host, its files and the machine are unaffected.

Each file starts with `# expect: STATUS [STATUS...]` (`ok-empty`: returns ok with nothing
stolen, or nothing found that an earlier call left) and optionally `# limits: key=value ...`,
`# repeat: N` (run N times in a row, so state left by one run meets the next, on every worker)
and `# batch: N` (N instances at once through `call_many`, as a task's utility runs them); it
defines `main(ctx)`. The file names say the class of attack (docs/security.md lists them).
"""

from __future__ import annotations

import os
import resource
import socket
from pathlib import Path

import pytest

from stop.sandbox import Limits, Sandbox
from tests.sandbox_helpers import host_ipc_keys, host_mqueues, leftover_processes

HOSTILE = Path(__file__).parent / "hostile"
PROGRAMS = sorted(HOSTILE.glob("*.py"))
HOSTILE_KEYS = range(0x570700, 0x570800)  # the SysV IPC keys hostile programs use
BASE = Limits(cpu_seconds=1.0, wall_seconds=2.0, memory_bytes=512 << 20, max_processes=1)


def header(source: str, key: str) -> list[str]:
    for line in source.splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].split()
    return []


def limits_for(source: str) -> Limits:
    overrides = dict(item.split("=") for item in header(source, "limits"))
    limits = Limits(
        **{**BASE.to_dict(), **{k: type(getattr(BASE, k))(v) for k, v in overrides.items()}}
    )
    # Never run a bomb without a small process allowance and a deadline.
    assert limits.max_processes <= 4 and limits.wall_seconds <= 3
    return limits


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    home = tmp_path_factory.mktemp("stop-home")
    (home / "runs.db").write_bytes(b"SQLite format 3\x00 the run store: secret")
    os.environ["STOP_HOME"] = str(home)  # hidden from the workers started below
    os.environ["OPENAI_API_KEY"] = "sk-hostile-test"
    try:
        with Sandbox(workers=2) as sb:
            yield sb, home
    finally:
        del os.environ["STOP_HOME"], os.environ["OPENAI_API_KEY"]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_hostile_program_is_contained(sandbox, program, tmp_path):
    sb, home = sandbox
    source = program.read_text()
    expected = header(source, "expect")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0)
    ctx = {
        "port": listener.getsockname()[1],
        "store": str(home / "runs.db"),
        "outside": str(outside),
        "victim": str(victim),
    }
    repeat, batch = (int((header(source, key) or ["1"])[0]) for key in ("repeat", "batch"))
    assert repeat <= 4 and batch <= 50
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        results = []
        for _ in range(repeat):
            results += sb.call_many(source, "main", [[ctx]] * batch, limits_for(source))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing reached the host's network
    finally:
        listener.close()

    for result in results:
        if "ok-empty" in expected:
            assert result.status == "ok" and not result.value, (result.value, result.error)
        else:
            assert result.status in expected, (result.status, result.error)
        assert len(result.stdout) < 70_000 and len(result.stderr) < 70_000
    # The host is unaffected: its files, its memory, and the worker pool.
    assert victim.read_text() == "keep me" and list(outside.iterdir()) == []
    assert not Path("/tmp/stop-hostile-was-here").exists()
    assert (home / "runs.db").exists()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert grown < 100_000, f"host memory grew by {grown} KiB"
    assert sb.call("def main():\n    return 'alive'", "main", []).value == "alive"
    assert leftover_processes(sb) == []
    assert host_ipc_keys(HOSTILE_KEYS) == []  # no SysV object reached the host's namespace
    assert host_mqueues(["/stop-hostile-mq"]) == []
