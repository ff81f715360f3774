"""The improver child's process, seen from the host: start it inside the layers, read its
output until a deadline, and kill all of it.

With namespaces the improver is init of its own PID namespace (under `unshare --fork`), so
killing it kills everything it started, whatever session or group those moved to. The host
holds a pidfd of it, found as `unshare`'s child, so the kill reaches it even after `unshare` is
gone; the child also re-arms its parent-death signal after its uid change. Output drains stop
at a deadline, so a process holding the pipes open cannot make the host wait.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time

from stop.sandbox import confine
from stop.sandbox.isolation import launch_prefix
from stop.sandbox.supervise import _Capped

OUTPUT_GRACE_SECONDS = 0.5  # after the process ends: what is still in the pipes
EXIT_GRACE_SECONDS = 2.0  # after the result: time to exit before being killed


class ImproverProcess:
    """`python -m stop.sandbox.improver_child` started for `method`, talking on `fds` (the
    child's ends of the two RPC pipes), its stdout and stderr capped at `output_bytes` each."""

    def __init__(self, method: str, fds: tuple[int, int], output_bytes: int) -> None:
        argv = [sys.executable, "-I", "-m", "stop.sandbox.improver_child", *map(str, fds)]
        self.namespaces = bool(launch_prefix(method))
        self.proc = subprocess.Popen(
            launch_prefix(method) + argv,
            pass_fds=fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=confine.worker_environment(),
            start_new_session=True,
            cwd="/",
        )
        self.out, self.err = _Capped(output_bytes), _Capped(output_bytes)
        self._init_fd: int | None = None
        self._drain_until = math.inf
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def find_init(self, deadline: float) -> None:
        """Remember a pidfd of the improver itself (`unshare`'s child when namespaces are
        used), waiting for it to exist until `deadline`."""
        pid = self.proc.pid
        if not self.namespaces:
            self._init_fd = os.pidfd_open(pid)
            return
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    children = f.read().split()
            except OSError:
                return
            if children:
                with contextlib.suppress(OSError):
                    self._init_fd = os.pidfd_open(int(children[0]))
                return
            time.sleep(0.001)

    def kill(self) -> None:
        """SIGKILL the improver (and with it its PID namespace) and its launcher's group.
        Once `unshare` has ended, its namespace is gone and nothing is left to kill; without
        namespaces the group may outlive its leader (the only handle on what it started)."""
        if self._init_fd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._init_fd, signal.SIGKILL)
        if self.namespaces and self.proc.returncode is not None:
            return
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        """The exit code, killing the process if it has not ended within `timeout`."""
        try:
            return self.proc.wait(max(0.0, timeout))
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.wait()

    def close(self) -> None:
        """After the process ended: read what is left in the pipes, briefly, then let go."""
        self._drain_until = time.monotonic() + OUTPUT_GRACE_SECONDS
        self._drainer.join()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        if self._init_fd is not None:
            os.close(self._init_fd)

    def _drain(self) -> None:
        streams = {s.fileno(): sink for s, sink in self._streams()}
        while streams and time.monotonic() < self._drain_until:
            ready, _, _ = select.select(list(streams), [], [], 0.1)
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    streams[fd].add(chunk)
                else:
                    del streams[fd]

    def _streams(self) -> list[tuple]:
        pairs = ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        return [(s, sink) for s, sink in pairs if s is not None]
