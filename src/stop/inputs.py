"""Reading files that `stop` is handed: one function, so every input fails the same clear way.

    read_text_file(path, root=folder, max_bytes=MiB, error=TaskError) -> str

A task folder, an improver, a solution or a TOML config may be hostile or simply wrong: a symlink
to `/proc/self/environ`, a FIFO, `/dev/zero`, a 600 MB README, Latin-1 bytes. Each of these is
refused with a one-line `StopError` naming the file and the fix, before more than `max_bytes` are
read, instead of a traceback or a host that reads secrets into prompts.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from stop.errors import StopError

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 4 * MiB  # far above any task file, improver or config anyone writes by hand


def read_text_file(
    path: str | Path,
    *,
    root: str | Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    error: type[StopError] = StopError,
    what: str = "file",
) -> str:
    """The UTF-8 text of the regular file at `path`, line endings normalised to `\\n` (as
    `Path.read_text` does). Raises `error` (one line naming the file) when the file is missing,
    not a regular file, larger than `max_bytes`, not UTF-8, or, with `root`, resolves to a place
    outside `root` (a symlink out of a task folder)."""
    shown = Path(path)
    real = Path(os.path.realpath(path))
    if root is not None:
        top = Path(os.path.realpath(root))
        if real != top and top not in real.parents:
            raise error(
                f"{what} {shown} links outside {root} (to {real}); copy the file into the folder"
            )
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the resolved path
        # must not turn into a symlink between the check above and the open.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise error(f"{what} {shown} not found") from None
    except OSError as exc:
        raise error(f"cannot read {what} {shown}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise error(f"{what} {shown} is {kind}; pass a text file")
        if info.st_size > max_bytes:
            size, limit = _size(info.st_size), _size(max_bytes)
            raise error(f"{what} {shown} is {size}, over the {limit} limit")
        data = _read_at_most(fd, max_bytes + 1)  # the file may have grown since fstat
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise error(f"{what} {shown} is over the {_size(max_bytes)} limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"{what} {shown} is not UTF-8 (byte {exc.start}, line {line}); save it as UTF-8"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is an editor's habit, not content
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, total = [], 0
    while total < limit:
        chunk = os.read(fd, min(limit - total, MiB))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n} bytes"
