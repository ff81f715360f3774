"""The filesystem layer, set up inside a sandbox process's own mount namespace.

`/` becomes read-only, `/tmp` a private read-only tmpfs, `$HOME` and `$STOP_HOME` are covered by
empty read-only mounts, and the interpreter's own paths are bound back in where those covers
would hide them. A stand-in directory on the way to a kept path keeps the host directory's owner,
group and mode, so a file the host denies to other users stays denied inside. Each call then
writes only to a fresh, size-capped tmpfs mounted at `WORKDIR` and unmounted after it: cleanup is
one unmount, whatever the call left there (deep directory chains, full disks, odd modes).

Only stdlib imports: this runs before untrusted code, in processes that must start fast.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import tempfile

_libc = ctypes.CDLL(None, use_errno=True)

MS_RDONLY, MS_NOSUID, MS_NODEV = 0x1, 0x2, 0x4
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 1 << 18
MNT_DETACH = 2
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
SYS_MOUNT_SETATTR = 442  # same number on every architecture (added after the table unification)

SCRATCH = "/tmp"  # a private, read-only tmpfs in the sandbox's mount namespace
WORKDIR = "/tmp/work"  # where each call's own writable tmpfs is mounted
_INODE_BYTES = 8192  # one inode per this many bytes of scratch: a file-count bomb hits a cap


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = [s.encode() if s is not None else None for s in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def unmount(target: str) -> None:
    """Lazy unmount: always detaches, and frees everything below once nothing uses it."""
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


def setup_filesystem(hide: list[str], keep: list[str]) -> tuple[bool, list[str]]:
    """In a fresh mount namespace: no propagation to the host, everything read-only, a private
    tmpfs on /tmp, and `hide` paths covered by empty read-only mounts, except the `keep` paths
    inside them (the interpreter may live under a hidden $HOME).

    Returns (readonly_root, warnings).
    """
    warnings: list[str] = []
    # Private first, so nothing below ever shows up in the host's mount table.
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    readonly = _readonly_root()
    if not readonly:
        warnings.append("could not remount / read-only (kernel < 5.12?); relying on file modes")
    keep = [k for k in keep if not _covers(k, [SCRATCH, *hide], warnings)]
    _cover(SCRATCH, [k for k in keep if _under(k, SCRATCH)], warnings, size="4m")
    for path in hide:
        try:
            _cover(path, [k for k in keep if _under(k, path)], warnings)
        except OSError as exc:
            warnings.append(f"could not hide {path}: {exc}")
    os.mkdir(WORKDIR, 0o755)
    # Nothing but a call's own scratch mount is writable: no state outlives a call in /tmp.
    mount(None, SCRATCH, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return readonly, warnings


def _covers(kept: str, covered: list[str], warnings: list[str]) -> bool:
    """A kept path that would keep a whole covered tree visible (e.g. a script run from /tmp
    puts /tmp on sys.path) is dropped rather than honoured."""
    for path in covered:
        if _under(path, kept):
            warnings.append(f"not keeping {kept} visible: it would expose all of {path}")
            return True
    return False


def _cover(path: str, keep: list[str], warnings: list[str], size: str = "64k") -> None:
    """Mount an empty tmpfs over `path`, then bind each kept path back in through stand-in
    directories that copy the host directories' owner, group and mode. The originals are held
    open across the covering mount and bound back through /proc/self/fd."""
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path):
        mount("/dev/null", path, None, MS_BIND)
        return
    if path in keep:
        raise OSError(errno.EINVAL, "it holds the interpreter itself")
    top = os.stat(path)
    ancestors = {a: os.stat(a) for k in keep for a in _between(path, k)}
    held = {k: os.open(k, os.O_PATH | os.O_DIRECTORY) for k in keep if os.path.isdir(k)}
    try:
        mode = _traversable(path, top, warnings) if keep else top.st_mode & 0o7777
        owner = f",uid={top.st_uid},gid={top.st_gid}"
        try:
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode:o}{owner}")
        except OSError:  # ids not mapped in a user namespace: the mode still applies
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode:o}")
        for ancestor, st in sorted(ancestors.items()):
            _stand_in(ancestor, st, warnings)
        for kept, fd in held.items():
            try:
                os.makedirs(kept, mode=0o755, exist_ok=True)
                mount(f"/proc/self/fd/{fd}", kept, None, MS_BIND | MS_REC)
                mount(None, kept, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
            except OSError as exc:
                warnings.append(f"could not keep {kept} visible under {path}: {exc}")
    finally:
        for fd in held.values():
            os.close(fd)
    if path != SCRATCH:
        mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _between(top: str, kept: str) -> list[str]:
    """The directories strictly between `top` and `kept`, outermost first."""
    parts = os.path.relpath(kept, top).split(os.sep)
    return [os.path.join(top, *parts[:i]) for i in range(1, len(parts))]


def _stand_in(path: str, st: os.stat_result, warnings: list[str]) -> None:
    os.makedirs(path, exist_ok=True)
    with contextlib.suppress(OSError):  # an owner not mapped in a user namespace: mode applies
        os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, _traversable(path, st, warnings))


def _traversable(path: str, st: os.stat_result, warnings: list[str]) -> int:
    """The host's permission bits, plus search (never read) permission for others where the
    host lacks it: sandboxed code runs as another user and must reach the interpreter."""
    mode = st.st_mode & 0o7777
    if not mode & 0o001:
        warnings.append(
            f"{path}: search permission for others added on its stand-in (mode {mode:o} on the"
            " host) so sandboxed code can reach the interpreter"
        )
    return mode | 0o001


def _under(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip("/") + "/")


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


def mount_scratch(size_bytes: int, uid: int | None) -> str:
    """A fresh, empty tmpfs of `size_bytes` at WORKDIR, owned by `uid`; returns its path."""
    inodes = max(1024, size_bytes // _INODE_BYTES)
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    options = f"size={size_bytes},nr_inodes={inodes},mode=0700{owner}"
    mount("tmpfs", WORKDIR, "tmpfs", MS_NOSUID | MS_NODEV, options)
    return WORKDIR


def remove_tree(path: str) -> bool:
    """Delete `path` and everything below it, however deep (iterative, one fd at a time) and
    whatever modes the call left (restored where they block us); True if it is gone. Only for
    scratch directories whose writers are all dead (no race with a symlink swap)."""
    names: list[str] = []  # the way down from `path`
    fd = _open_dir(path, None)
    try:
        while True:
            entry = next((e for e in os.scandir(fd)), None)
            if entry is not None and entry.is_dir(follow_symlinks=False):
                os.chmod(entry.name, 0o700, dir_fd=fd, follow_symlinks=False)
                child = _open_dir(entry.name, fd)
                os.close(fd)
                fd, names = child, [*names, entry.name]
            elif entry is not None:
                os.unlink(entry.name, dir_fd=fd)
            elif names:  # empty: go up and remove it
                parent = _open_dir("..", fd)
                os.close(fd)
                fd, name = parent, names.pop()
                os.rmdir(name, dir_fd=fd)
            else:
                break
    except OSError:
        return False
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(path)
    return not os.path.lexists(path)


def _open_dir(name: str, dir_fd: int | None) -> int:
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)


def plain_scratch(base: str, uid: int | None) -> str:
    """Without a mount namespace: a fresh directory under `base` (no size cap possible)."""
    path = tempfile.mkdtemp(prefix="c-", dir=base)
    if uid is not None:
        os.chown(path, uid, uid)
    return path
