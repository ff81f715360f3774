"""Process-tree helpers shared by the sandbox tests."""

from __future__ import annotations

import ctypes
import os

from stop.sandbox import Sandbox


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return kids


def leftover_processes(sb: Sandbox) -> list[int]:
    """Processes below this sandbox's workers (children of evaluations): none between calls."""
    found = []
    for handle in sb._handles:
        top = handle.proc.pid
        workers = _children(top) if sb.isolation.method != "rlimits" else [top]
        for worker in workers:
            todo = _children(worker)
            while todo:
                pid = todo.pop()
                found.append(pid)
                todo += _children(pid)
    return found


def processes_with(marker: str) -> list[int]:
    """Every process on the machine whose command line contains `marker`, wherever it hid."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def host_ipc_keys(keys: range) -> list[int]:
    """SysV IPC keys in `keys` that exist in this (the host's) IPC namespace."""
    found = []
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        found += [int(row.split()[0]) for row in rows if int(row.split()[0]) in keys]
    return found


def host_mqueues(names: list[str]) -> list[str]:
    """The POSIX message queues among `names` that exist in this (the host's) IPC namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    found = []
    for name in names:
        fd = libc.mq_open(name.encode(), os.O_RDONLY)
        if fd >= 0:
            libc.mq_close(fd)
            found.append(name)
    return found
