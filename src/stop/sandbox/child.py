"""The forked child of a worker: confine itself, run the source, write the result, `os._exit`.

Every path ends in `os._exit`, so a failing child can never fall back into the worker's loop.
Exit codes below tell the worker what happened when no result could be written.

The result written on fd 3 is one JSON header line (`{"status": ..., "error": ...}`) followed,
for status "ok", by the value's JSON text (`codec.dumps`), so the value is never re-escaped.
"""

from __future__ import annotations

import errno
import json
import linecache
import os
import random
import socket
import sys
import traceback
from typing import Any

from stop.sandbox import codec, confine

EXIT_OK = 0
EXIT_MEMORY = 75
EXIT_INTERNAL = 76
EXIT_CPU = 77  # the improver child's SIGXCPU handler
RESULT_FD = 3
FILENAME = "<solution>"
MAX_ERROR_CHARS = 16_384  # of a traceback: its start and its end (where the cause is) are kept


def classify(exc: BaseException) -> str:
    """Status of an exception: hitting a containment layer is a "violation", not a plain bug.
    Wrapped causes count too (urllib's URLError wraps the socket error as `.reason`)."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        kind = _classify_one(e)
        if kind != "exception":
            return kind
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None)]
    return "exception"


_VIOLATION_ERRNOS = frozenset(
    {
        errno.EFBIG,  # file-size limit
        errno.EAGAIN,  # fork/thread refused by the process limit
        errno.ENETUNREACH,  # the network namespace has no routes
        errno.EROFS,  # read-only root
        errno.EACCES,
        errno.EPERM,
        errno.EMFILE,  # open-files limit
    }
)


def _classify_one(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, SystemExit):
        return "crashed"
    if isinstance(exc, socket.gaierror):
        return "violation"  # DNS: there is no network to resolve through
    if isinstance(exc, OSError) and exc.errno in _VIOLATION_ERRNOS:
        return "violation"
    if isinstance(exc, RuntimeError) and "can't start new thread" in str(exc):
        return "violation"
    return "exception"


def run(
    request: dict[str, Any], fds: tuple[int, int, int], workdir: str, uid: int | None, others: int
) -> None:
    """Never returns. `others`: tasks of our uid that are not ours (see `apply_rlimits`)."""
    parent = os.getppid()  # 0 when we are init of our own PID namespace
    try:
        _confine(request["limits"], fds, workdir, uid, others, parent)
        message = _execute(request)
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except BaseException:  # our own confinement failed: report, never run the source unconfined
        os._exit(EXIT_INTERNAL)
    try:
        _write_all(RESULT_FD, message)
        os._exit(EXIT_OK)
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except BaseException:
        os._exit(EXIT_INTERNAL)


def _confine(
    limits: dict[str, Any],
    fds: tuple[int, int, int],
    workdir: str,
    uid: int | None,
    others: int,
    parent: int,
) -> None:
    os.setsid()  # own process group: the wall deadline kills all of it
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    for target, fd in zip((1, 2, RESULT_FD), fds, strict=True):
        os.dup2(fd, target)
    os.closerange(RESULT_FD + 1, 1 << 16)  # the worker's protocol pipes must not be reachable
    os.chdir(workdir)
    confine.scrub_environment(workdir)
    confine.reset_signals()
    confine.drop_privileges(uid)
    confine.die_with_parent(parent)
    confine.apply_rlimits(limits, others=others)


def _seed_random_generators(seed: int | None) -> None:
    """Seed the global generators a program may use; forked children would otherwise all
    inherit the worker's state (same "random" numbers everywhere) or differ run to run."""
    if seed is None:
        return
    random.seed(seed)
    numpy_random = sys.modules.get("numpy.random")  # only if the worker preloaded it
    if numpy_random is not None:
        numpy_random.seed(seed % 2**32)


def _execute(request: dict[str, Any]) -> bytes:
    source = request["source"]
    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    namespace: dict[str, Any] = {"__name__": "__sandbox__", "__builtins__": __builtins__}
    _seed_random_generators(request.get("seed"))
    try:
        exec(compile(source, FILENAME, "exec"), namespace)  # noqa: S102 - confined child
        entry = namespace.get(request["entry"])
        if not callable(entry):
            raise NameError(f"entry point {request['entry']!r} is not defined by the source")
        # The host's own arguments: bounded in depth and range like anything else, not in size.
        args = codec.decode(json.loads(request["args"]), array_bytes=1 << 60, trusted=True)
        value = entry(*args)
    except BaseException as exc:  # noqa: BLE001 - the program's failure is data
        status = classify(exc)
        text = format_traceback(exc)
        if isinstance(exc, SystemExit):
            text = shorten(f"program called sys.exit({exc.code!r})")
        del exc
        return _message({"status": status, "error": text})
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        encoded = codec.dumps(value).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        error = shorten(f"return value is not JSON-able: {exc}")
        return _message({"status": "bad_output", "error": error})
    return _message({"status": "ok"}) + encoded


def format_traceback(exc: BaseException) -> str:
    """The traceback without our own frames (it starts at the program's code), shortened to
    MAX_ERROR_CHARS."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ else None
    return shorten("".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__)))


def shorten(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`text` if short enough, else its first quarter and last three quarters of `limit`."""
    if len(text) <= limit:
        return text
    head, tail = limit // 4, limit - limit // 4
    return f"{text[:head]}\n[... {len(text) - limit} characters cut ...]\n{text[-tail:]}"


def _message(header: dict[str, Any]) -> bytes:
    return json.dumps(header, separators=(",", ":")).encode() + b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
