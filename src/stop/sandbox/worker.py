"""The pre-forked worker: started once inside the namespaces, forks one fresh child per call.

Protocol (JSON lines): the host writes a request per line on our stdin; we answer one line on
our stdout. The first line we write is a hello naming the layers that actually took effect.
Run as `python -I -m stop.sandbox.worker CONFIG_JSON`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import signal
import sys
import tempfile
from typing import Any

from stop.sandbox import child, confine, mounts
from stop.sandbox.supervise import supervise


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.method: str = config["method"]
        self.namespaces = self.method != "rlimits"
        self.warnings: list[str] = []
        self.readonly_root = False
        if self.namespaces:
            self.readonly_root, self.warnings = mounts.setup_filesystem(
                config["hide"], config["keep"]
            )
        # Only real root can switch to a fresh uid; the uid makes RLIMIT_NPROC count one child.
        # (Root inside a user namespace has only itself mapped: no other uid to switch to.)
        real_root = os.geteuid() == 0 and self.method != "unshare-userns"
        self.uid = random.SystemRandom().randrange(1 << 20, 1 << 30) if real_root else None
        # Started by `unshare --pid --fork` we are init of our PID namespace, so every orphan
        # reparents to us; without namespaces, subreaper does it.
        self.pid_namespaces = self.namespaces and os.getpid() == 1
        confine.become_subreaper()
        self.base = None if self.namespaces else tempfile.mkdtemp(prefix="stop-sbx-")
        for name in config.get("preload", []):
            try:
                importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - a missing optional module is not fatal
                self.warnings.append(f"preload {name} failed: {exc}")
        # After the preloads: from here on our next fork must be a call's child (it becomes
        # init of the namespaces prepared for it).
        self.per_call: confine.CallNamespaces | None = None
        if self.namespaces:
            self.per_call = confine.CallNamespaces()
            self.per_call.next_fork_isolated()  # fails here, at start, if it cannot work
        self.leftover: str | None = None  # the last call's scratch directory, until `tidy`
        self.dirty = False

    def hello(self) -> dict[str, Any]:
        return {
            "ready": True,
            "network_namespace": self.namespaces,
            "mount_namespace": self.namespaces,
            "pid_namespace": self.pid_namespaces,
            "readonly_root": self.readonly_root,
            "rlimits": True,
            "warnings": self.warnings,
        }

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one request in a fresh child. If we could not clean up after the previous call
        (`tidy`), the request is not run: the response asks the host to replace us and retry."""
        if self.dirty:
            error = "sandbox worker could not clean up after its previous call"
            return {"status": "crashed", "error": error, "replace": True, "retry": True}
        limits = request["limits"]
        if self.base is None:
            workdir = mounts.mount_scratch(limits["scratch_bytes"], self.uid)
        else:
            workdir = mounts.plain_scratch(self.base, self.uid)
        self.leftover = workdir
        pipes = [os.pipe() for _ in range(3)]
        others = self._other_tasks(limits["max_processes"])
        pid = os.fork()  # into the PID and IPC namespaces `tidy` prepared
        if pid == 0:  # the child: never returns
            try:
                child.run(request, tuple(w for _, w in pipes), workdir, self.uid, others)
            finally:
                os._exit(child.EXIT_INTERNAL)
        for _, w in pipes:
            os.close(w)
        try:
            response = supervise(pid, [r for r, _ in pipes], limits)
        finally:
            for r, _ in pipes:
                os.close(r)
            self._cleanup(pid, limits["max_processes"] > 1)
        return response

    def tidy(self) -> None:
        """After a response is sent, off the caller's clock: drop the call's scratch directory
        and prepare fresh namespaces for the next call. A failure marks us dirty."""
        try:
            if self.leftover is not None:
                released = self._release(self.leftover)
                self.leftover = None
                if not released:
                    self.dirty = True
                    return
            if self.per_call is not None:
                self.per_call.reset()
            self._clear_keyrings()
            if self.per_call is not None:
                self.per_call.isolate()
        except Exception:  # noqa: BLE001 - whatever it was, the next call must not run here
            self.dirty = True

    def _clear_keyrings(self) -> None:
        """Empty the kernel keyrings of the children's uid if a call left keys there: they
        belong to the uid, not to anything of the call, and would carry state to the next."""
        ours = self.uid is None  # children share our uid (private to our user namespace)
        if ours and not (self.namespaces and confine.KEYRINGS_PER_USER_NAMESPACE):
            return  # the host user's own uid: never touch its keys
        uid = os.getuid() if ours else self.uid
        if not confine.has_keys(uid):  # type: ignore[arg-type]
            return
        if ours:
            confine.clear_keyrings()
            return
        # Keyrings follow the real uid: take the children's for a moment, keeping root as the
        # saved uid to come back (we are single-threaded, and every process of it is dead).
        os.setresuid(uid, uid, 0)  # type: ignore[arg-type]
        try:
            confine.clear_keyrings()
        finally:
            os.setresuid(0, 0, 0)

    def _other_tasks(self, max_processes: int) -> int:
        """Tasks that share the child's uid and count against its RLIMIT_NPROC: none with a
        fresh uid; in a user namespace our own threads and `unshare` (which entered it too);
        without namespaces the whole user's (counted only when the call may start any, so
        max_processes=1 stays exact)."""
        if self.uid is not None:
            return 0
        if self.namespaces:
            return len(os.listdir("/proc/self/task")) + 1
        return confine.user_tasks() if max_processes > 1 else 0

    def _release(self, workdir: str) -> bool:
        """Drop the call's scratch directory; False if anything of it may remain."""
        if self.base is None:
            try:
                mounts.unmount(workdir)  # frees all of it, however deep or odd
            except OSError:
                return False
            return True
        return mounts.remove_tree(workdir)  # without a mount namespace: delete it all

    def _cleanup(self, pid: int, may_have_forked: bool) -> None:
        """Kill whatever a child left behind. With namespaces the child was init of its own
        PID namespace, so the kernel already did; otherwise: its group, every process of its
        uid, and orphans reparented to us (generation by generation)."""
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        if may_have_forked and self.uid is not None and self.per_call is None:
            _kill_uid(self.uid)
        for _ in range(1000):
            orphans = _own_children()
            if not orphans:
                return
            for orphan in orphans:
                with contextlib.suppress(OSError):
                    os.kill(orphan, signal.SIGKILL)
                    os.waitpid(orphan, 0)


def _kill_uid(uid: int) -> None:
    """kill(-1) from a helper running as `uid` reaches every process of that uid, wherever it
    hid (new session, new group); the uid is this worker's alone, so nothing else is hit."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _own_children() -> list[int]:
    pid = os.getpid()
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def main() -> None:
    config = json.loads(sys.argv[1])
    # Keep the protocol pipes away from fds 0/1, so nothing printed by accident corrupts them.
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the host's business
    worker = Worker(config)
    _send(proto_out, worker.hello())
    for line in proto_in:
        try:
            response = worker.call(json.loads(line))
        except Exception as exc:  # noqa: BLE001 - report; the host replaces us
            error = f"sandbox worker error: {exc!r}"
            response = {"status": "crashed", "error": error, "replace": True}
        _send(proto_out, response)
        worker.tidy()


def _send(fd: int, payload: dict[str, Any]) -> None:
    data = memoryview((json.dumps(payload, separators=(",", ":")) + "\n").encode())
    while data:
        data = data[os.write(fd, data) :]


if __name__ == "__main__":
    main()
