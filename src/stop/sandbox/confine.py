"""Confinement steps run *inside* sandbox processes (worker, its children, improver child).

Only stdlib imports: this runs before untrusted code, in processes that must start fast.
Each step reports whether it worked so the layers actually active are recorded, not assumed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import tempfile
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 1 << 18
MNT_DETACH = 2
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
SYS_MOUNT_SETATTR = 442  # same number on every architecture (added after the table unification)
PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 38, 36

SCRATCH = "/tmp"  # a private tmpfs in the sandbox's mount namespace
MIN_PATH = "/usr/local/bin:/usr/bin:/bin"


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = [s.encode() if s is not None else None for s in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def setup_filesystem(hide: list[str], keep: list[str]) -> tuple[bool, list[str]]:
    """In a fresh mount namespace: no propagation to the host, everything read-only, a private
    writable tmpfs on /tmp, and `hide` paths covered by empty read-only mounts, except the
    `keep` paths inside them (the interpreter may live under a hidden $HOME).

    Returns (readonly_root, warnings).
    """
    warnings: list[str] = []
    # Private first, so nothing below ever shows up in the host's mount table.
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    readonly = _readonly_root()
    if not readonly:
        warnings.append("could not remount / read-only (kernel < 5.12?); relying on file modes")
    _private_scratch([k for k in keep if _under(k, SCRATCH)], warnings)
    for path in hide:
        try:
            _hide(path, [k for k in keep if _under(k, path)])
        except OSError as exc:
            warnings.append(f"could not hide {path}: {exc}")
    return readonly, warnings


def _private_scratch(kept: list[str], warnings: list[str]) -> None:
    """A fresh writable tmpfs on /tmp, with the kept paths under /tmp (a checkout or a venv
    living in /tmp, as in many CI setups) bound back in, read-only. Each kept directory is held
    open across the covering mount and bound back through /proc/self/fd."""
    held = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in kept}
    try:
        mount(
            "tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV, "size=256m,nr_inodes=65536,mode=0755"
        )
        for path, fd in held.items():
            try:
                os.makedirs(path, mode=0o755, exist_ok=True)
                mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
                mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
            except OSError as exc:
                warnings.append(f"could not keep {path} visible under the private /tmp: {exc}")
    finally:
        for fd in held.values():
            os.close(fd)


def _under(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def _hide(path: str, keep: list[str]) -> None:
    if not os.path.exists(path):
        return
    if not os.path.isdir(path):
        mount("/dev/null", path, None, MS_BIND)
        return
    if path in keep:
        raise OSError(errno.EINVAL, "it holds the interpreter itself")
    # Stage the original out of the way, cover it, then bind the kept subtrees back in.
    stage = tempfile.mkdtemp(dir=SCRATCH)
    mount(path, stage, None, MS_BIND | MS_REC)
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    for kept in keep:
        rel = os.path.relpath(kept, path)
        os.makedirs(os.path.join(path, rel), mode=0o755, exist_ok=True)
        mount(os.path.join(stage, rel), os.path.join(path, rel), None, MS_BIND | MS_REC)
    _check(_libc.umount2(stage.encode(), MNT_DETACH), f"umount {stage}")
    os.rmdir(stage)
    mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _readonly_root() -> bool:
    # struct mount_attr {u64 attr_set, attr_clr, propagation, userns_fd}
    attr = (ctypes.c_uint64 * 4)(MOUNT_ATTR_RDONLY, 0, 0, 0)
    ret = _libc.syscall(
        ctypes.c_long(SYS_MOUNT_SETATTR),
        ctypes.c_int(AT_FDCWD),
        b"/",
        ctypes.c_uint(AT_RECURSIVE),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
    )
    return ret == 0


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


def apply_rlimits(limits: dict[str, Any], cpu_seconds: tuple[int, int] | None = None) -> None:
    """Kernel limits. By default CPU is a whole-second backstop above the parent's precise
    watchdog; `cpu_seconds` (soft, hard) replaces it where no parent watches."""
    cpu = int(limits["cpu_seconds"]) + 2
    pairs = {
        resource.RLIMIT_CPU: cpu_seconds or (cpu, cpu + 1),
        resource.RLIMIT_AS: (limits["memory_bytes"],) * 2,
        resource.RLIMIT_NPROC: (limits["max_processes"],) * 2,
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


def worker_environment() -> dict[str, str]:
    """The whole environment a sandbox interpreter starts with."""
    env = {"LANG": "C.UTF-8", "PATH": MIN_PATH, "PYTHONDONTWRITEBYTECODE": "1"}
    env |= {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return env
