"""Watch one forked child: enforce CPU and wall limits, cap its output, classify its end.

CPU time is read from the child's CPU clock while it runs and from `wait4` rusage when it ends,
so the limit means the same on a slow and a fast machine and is exact to a few milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from typing import Any

from stop.sandbox import child, codec

HEADER_BYTES = 4 * child.MAX_ERROR_CHARS + 1024  # the result's header line (status, error)
_CPUS = os.cpu_count() or 1


class _Capped:
    """Keeps the first `cap` bytes of a stream and counts the rest, which is read and dropped
    so a flooding child never blocks on a full pipe."""

    def __init__(self, cap: int) -> None:
        self.cap, self.data, self.dropped = cap, bytearray(), 0

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - room)

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        return text + (f"\n[... {self.dropped} more bytes dropped]" if self.dropped else "")


def _cpu_clock(pid: int) -> int:
    return ((~pid) << 3) | 2  # CPUCLOCK_SCHED of the whole process, as clock_getcpuclockid does


def supervise(pid: int, fds: list[int], limits: dict[str, Any]) -> dict[str, Any]:
    """Wait for child `pid` whose stdout, stderr and result pipes are `fds`; the response dict."""
    start = time.monotonic()
    out, err = _Capped(limits["output_bytes"]), _Capped(limits["output_bytes"])
    result = _Capped(limits["result_bytes"] + HEADER_BYTES)
    sinks = dict(zip(fds, (out, err, result), strict=True))
    pidfd = os.pidfd_open(pid)
    killed_for = ""
    try:
        open_fds = set(fds)
        while True:
            remaining_wall = start + limits["wall_seconds"] - time.monotonic()
            remaining_cpu = limits["cpu_seconds"] - _cpu_used(pid)
            if remaining_cpu <= 0 or remaining_wall <= 0 or result.dropped:
                killed_for = (
                    "cpu" if remaining_cpu <= 0 else "wall" if remaining_wall <= 0 else "result"
                )
                _kill(pid)
                break
            timeout = max(0.001, min(remaining_wall, remaining_cpu / _CPUS))
            ready, _, _ = select.select([*open_fds, pidfd], [], [], timeout)
            for fd in ready:
                if fd != pidfd and not _read_into(fd, sinks[fd]):
                    open_fds.discard(fd)
            if pidfd in ready:
                break
        _, status, usage = os.wait4(pid, 0)
        for fd in fds:  # what is left in the pipes after exit
            while fd in open_fds and _read_into(fd, sinks[fd], block=False):
                pass
    finally:
        os.close(pidfd)
    cpu = usage.ru_utime + usage.ru_stime
    response = _classify(status, cpu, limits, killed_for, bytes(result.data))
    response.update(
        stdout=out.text(), stderr=err.text(), cpu_seconds=cpu, wall_seconds=time.monotonic() - start
    )
    return response


def _cpu_used(pid: int) -> float:
    try:
        return time.clock_gettime(_cpu_clock(pid))
    except OSError:
        return 0.0  # already gone; wait4 has the final figure


def _read_into(fd: int, sink: _Capped, block: bool = True) -> bool:
    if not block and not select.select([fd], [], [], 0)[0]:
        return False
    chunk = os.read(fd, 1 << 16)
    sink.add(chunk)
    return bool(chunk)


def _kill(pid: int) -> None:
    # Killing the init of the child's PID namespace kills everything inside; the group covers
    # the case without namespaces.
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(OSError):
            kill(pid, signal.SIGKILL)


def _classify(status: int, cpu: float, limits: dict, killed_for: str, result: bytes) -> dict:
    def fail(kind: str, error: str) -> dict[str, Any]:
        return {"status": kind, "value": None, "error": error}

    if killed_for == "result":
        return fail("bad_output", f"return value larger than {limits['result_bytes']} bytes")
    if killed_for == "wall":
        return fail("timeout", f"wall-clock deadline of {limits['wall_seconds']} s exceeded")
    if killed_for == "cpu" or cpu > limits["cpu_seconds"]:
        return fail("timeout", f"CPU time limit of {limits['cpu_seconds']} s exceeded")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return fail("timeout", "CPU time limit exceeded (RLIMIT_CPU)")
        if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            return fail("killed", f"killed by signal {signal.Signals(sig).name}")
        return fail("crashed", f"died of signal {signal.Signals(sig).name}")
    code = os.WEXITSTATUS(status)
    if code == child.EXIT_MEMORY:
        return fail("memory", f"memory limit of {limits['memory_bytes']} bytes exceeded")
    if code != child.EXIT_OK or not result:
        return fail("crashed", f"exited with code {code} without a result")
    return _read_result(result, limits["result_bytes"])


def _read_result(result: bytes, max_value_bytes: int) -> dict[str, Any]:
    """The child's header line and value text, checked; a forged or garbled one is bad_output.
    The value stays text: the host decodes it (with the codec's bounds) where it is used."""
    line, _, value = result.partition(b"\n")
    try:
        header = codec.parse(line, HEADER_BYTES)
        if not isinstance(header, dict) or header.get("status") not in _STATUSES:
            raise ValueError("malformed result header")
        if header["status"] != "ok":
            error = header.get("error", "")
            error = child.shorten(error if isinstance(error, str) else repr(error)[:200])
            return {"status": header["status"], "value": None, "error": error}
        if len(value) > max_value_bytes:
            raise ValueError(f"return value larger than {max_value_bytes} bytes")
        return {"status": "ok", "value": value.decode("utf-8"), "error": ""}
    except ValueError as exc:  # includes codec.DecodeError and UnicodeDecodeError
        return {"status": "bad_output", "value": None, "error": f"unreadable result: {exc}"}


_STATUSES = frozenset(("ok", "memory", "crashed", "bad_output", "exception", "violation"))
