"""Confinement steps run *inside* sandbox processes (worker, its children, improver child).

Only stdlib imports: this runs before untrusted code, in processes that must start fast.
Each step reports whether it worked so the layers actually active are recorded, not assumed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
CLONE_NEWIPC, CLONE_NEWPID = 0x08000000, 0x20000000

MIN_PATH = "/usr/local/bin:/usr/bin:/bin"


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


class CallNamespaces:
    """Gives each call (each fork of a worker) its own PID and IPC namespaces.

    The forked child is then init of its PID namespace: killing it kills every process the call
    started, however it hid (new session, double fork), and nothing outlives the call. Its SysV
    segments, semaphores, message queues and POSIX message queues vanish with the IPC namespace.
    Costs two syscalls (~25 us); needs CAP_SYS_ADMIN, i.e. the worker inside its namespaces.
    """

    def __init__(self) -> None:
        # unshare(CLONE_NEWPID) only works while children still go to our own namespace, so
        # each call first points them back at it (setns to our own, always allowed).
        self._own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    def next_fork_isolated(self) -> None:
        """Put the next forked child in fresh PID and IPC namespaces."""
        self.reset()
        self.isolate()

    def reset(self) -> None:
        """Children go to our own PID namespace again (e.g. a helper of ours)."""
        _check(_libc.setns(self._own_pid_ns, CLONE_NEWPID), "setns(own PID namespace)")

    def isolate(self) -> None:
        """After `reset`: the next child goes to fresh PID and IPC namespaces."""
        _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWIPC), "unshare(PID, IPC)")


SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
KEYCTL_GET_PERSISTENT, KEYCTL_CLEAR = 22, 7
KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -2, -4, -5
# Since Linux 5.3 a user namespace has its own user keyrings; before, uid 0 in a user
# namespace shared the host user's, which must not be cleared.
KEYRINGS_PER_USER_NAMESPACE = tuple(
    int(x) for x in os.uname().release.split("-")[0].split(".")[:2] if x.isdigit()
) >= (5, 3)


def clear_keyrings() -> None:
    """Empty our uid's kernel keyrings (user, user-session, persistent): they outlive every
    process and namespace of a call, so keys left there by one call of a uid would be state
    carried into the next. Never with the host user's own uid (it would wipe the user's real
    keys). Creates the keyrings if missing: ask `has_keys` first."""
    if SYS_KEYCTL is None:
        return
    for ring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
        _libc.syscall(SYS_KEYCTL, KEYCTL_CLEAR, ring)
    persistent = _libc.syscall(SYS_KEYCTL, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING)
    if persistent > 0:  # -1 where the kernel has no persistent keyrings
        _libc.syscall(SYS_KEYCTL, KEYCTL_CLEAR, persistent)


def has_keys(uid: int) -> bool:
    """Whether the kernel holds any key of `uid` (a line in /proc/key-users)."""
    try:
        with open("/proc/key-users") as f:
            return any(line.split(":", 1)[0].strip() == str(uid) for line in f)
    except OSError:
        return True  # cannot tell: clear


def die_with_parent(parent: int) -> None:
    """SIGKILL us when our parent dies. Set after the uid change (which clears it), then the
    parent is checked, in case it died before the signal was armed."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
    if os.getppid() != parent:
        os._exit(1)


def become_subreaper() -> None:
    """Orphans of our children reparent to us (so we can kill them), not to the host's init."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def drop_privileges(uid: int | None) -> None:
    """Become `uid` (a fresh, otherwise unused one, so RLIMIT_NPROC counts only this child)
    with no capabilities and no way back (no_new_privs blocks setuid binaries)."""
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:
        _drop_capabilities()  # root inside a user namespace: keep the uid, lose the powers
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _drop_capabilities() -> None:
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2 words, all zero
    _libc.capset(ctypes.byref(header), ctypes.byref(data))


def apply_rlimits(
    limits: dict[str, Any], cpu_seconds: tuple[int, int] | None = None, others: int = 0
) -> None:
    """Kernel limits. By default CPU is a whole-second backstop above the parent's precise
    watchdog; `cpu_seconds` (soft, hard) replaces it where no parent watches.

    RLIMIT_NPROC counts every task (thread or process) of our uid, so `others` is how many of
    those exist besides us (the worker, when we share its uid): the call itself may then run
    `max_processes` tasks in all, threads included."""
    cpu = int(limits["cpu_seconds"]) + 2
    nproc = limits["max_processes"] + others
    pairs = {
        resource.RLIMIT_CPU: cpu_seconds or (cpu, cpu + 1),
        resource.RLIMIT_AS: (limits["memory_bytes"],) * 2,
        resource.RLIMIT_NPROC: (nproc, nproc),
        resource.RLIMIT_FSIZE: (limits["file_size_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (limits["open_files"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, (soft, hard) in pairs.items():
        resource.setrlimit(which, (int(soft), int(hard)))


def scrub_environment(home: str) -> None:
    """Nothing from the host survives: no keys, no tokens, a minimal PATH, HOME = scratch dir."""
    keep = {"LANG": "C.UTF-8", "PATH": MIN_PATH, "HOME": home, "TMPDIR": home}
    keep |= {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.clear()
    os.environ.update(keep)


def reset_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    # A file-size overrun then raises OSError(EFBIG), which we classify, instead of a bare kill.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def user_tasks() -> int:
    """Tasks (threads included) of our uid on the whole machine."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


def worker_environment() -> dict[str, str]:
    """The whole environment a sandbox interpreter starts with."""
    env = {"LANG": "C.UTF-8", "PATH": MIN_PATH, "PYTHONDONTWRITEBYTECODE": "1"}
    env |= {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return env
