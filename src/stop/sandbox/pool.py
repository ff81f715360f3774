"""`Sandbox`: the host side of a pool of pre-forked workers, safe to share between threads."""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import queue
import select
import subprocess
import threading
import time
import warnings
import zlib
from typing import Any

from stop.errors import SandboxError
from stop.sandbox import codec
from stop.sandbox.isolation import (
    Isolation,
    detect_isolation,
    from_hello,
    sandbox_config,
    start_worker_process,
)
from stop.sandbox.limits import STATUSES, CallResult, Limits

# The worker enforces the deadline itself; this slack only catches a wedged worker.
_HOST_SLACK_SECONDS = 10.0
_START_SECONDS = 60.0
# What the values returned by one `call_many` may take in all, as JSON text: each call's share
# (never below BATCH_FLOOR_BYTES) caps its result, so a batch of 50 children cannot make the host
# hold 50 times `Limits.result_bytes` (decoded values take at most ~25 bytes per byte of text).
BATCH_RESULT_BYTES = 2 << 20
BATCH_FLOOR_BYTES = 32 << 10


class _WorkerDied(Exception):
    pass


class _WorkerHandle:
    """One worker process and a line reader over its stdout with a deadline."""

    def __init__(self, method: str, config: dict[str, Any]) -> None:
        self.method, self.config = method, config
        self.proc = start_worker_process(method, config)
        self._buffer = bytearray()

    def hello(self) -> dict[str, Any]:
        return json.loads(self._read_line(time.monotonic() + _START_SECONDS))

    def request(self, payload: dict[str, Any], deadline: float) -> dict[str, Any]:
        """The worker's response (a dict); _WorkerDied if it is gone, late or incoherent."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(payload) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerDied(f"sandbox worker is gone: {exc}") from None
        limits = payload["limits"]
        # The worker's line holds the value (escaped: up to 6x), stdout, stderr and an error.
        cap = 6 * (limits["result_bytes"] + 2 * limits["output_bytes"]) + (1 << 20)
        try:
            response = codec.parse(self._read_line(deadline, cap))
        except ValueError as exc:
            raise _WorkerDied(f"unreadable answer from the sandbox worker: {exc}") from None
        if not isinstance(response, dict) or not isinstance(response.get("status"), str):
            raise _WorkerDied("malformed answer from the sandbox worker")
        return response

    def _read_line(self, deadline: float, cap: int = 1 << 20) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            if len(self._buffer) > cap:
                raise _WorkerDied(f"sandbox worker's answer is longer than {cap} bytes")
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _WorkerDied("sandbox worker did not answer in time")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise _WorkerDied(f"sandbox worker exited (code {self.proc.poll()})")
            self._buffer += chunk
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = bytearray(rest)
        return bytes(line)

    def restart(self) -> None:
        """Replace the process by a fresh one (same handle, so the pool's queues stay valid)."""
        self.proc.kill()
        self.proc.wait()
        self.proc = start_worker_process(self.method, self.config)
        self._buffer = bytearray()
        try:
            self.hello()
        except (_WorkerDied, ValueError) as exc:
            raise SandboxError(f"a sandbox worker could not be restarted: {exc}") from None

    def stop(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()  # EOF: the worker leaves its loop
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class Sandbox:
    """A pool of pre-forked workers, started inside the isolation layers; each call runs in a
    fresh child forked from one of them. Use as a context manager or call `close()`.

    `isolation` overrides detection (tests use it to simulate a machine without namespaces).
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        require_isolation: bool = False,
        preload: tuple[str, ...] = ("numpy", "numpy.random"),
        isolation: Isolation | None = None,
    ) -> None:
        probed = isolation or detect_isolation()
        if require_isolation and not probed.full:
            missing = [k for k, v in probed.to_dict().items() if v is False]
            raise SandboxError(
                f"isolation required but missing: {', '.join(missing)} (method {probed.method}). "
                "Run as root or enable user namespaces, or drop --require-isolation."
            )
        config = sandbox_config(probed.method, preload)
        self._closed = False
        self._idle: queue.SimpleQueue[_WorkerHandle] = queue.SimpleQueue()
        handles = [
            _WorkerHandle(probed.method, config) for _ in range(workers or os.cpu_count() or 1)
        ]
        try:
            hellos = [h.hello() for h in handles]
        except (_WorkerDied, ValueError) as exc:
            for h in handles:
                h.stop()
            raise SandboxError(f"sandbox workers failed to start: {exc}") from None
        self.isolation = from_hello(probed.method, hellos[0])  # what the workers really got
        if not self.isolation.network_namespace:
            warnings.warn(self.isolation.warnings[0], RuntimeWarning, stacklevel=2)
        self._handles = handles
        for h in handles:
            self._idle.put(h)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, source: str, entry: str, args: list, limits: Limits = Limits()) -> CallResult:
        """Run `entry(*args)` from `source` in a fresh confined child; failures are data."""
        if self._closed:
            raise SandboxError("this Sandbox is closed; create a new one")
        try:
            encoded_args = json.dumps(codec.encode(list(args)))
            request = {
                "source": source,
                "entry": entry,
                "args": encoded_args,
                "limits": limits.to_dict(),
                # Same program, same inputs -> same output, even for randomised programs: what
                # makes scores, and so resumed and replayed runs, reproducible.
                "seed": zlib.crc32(encoded_args.encode()),
            }
        except TypeError as exc:
            raise SandboxError(f"arguments cannot be sent to the sandbox: {exc}") from None
        handle = self._idle.get()
        start = time.monotonic()
        try:
            response = handle.request(request, start + limits.wall_seconds + _HOST_SLACK_SECONDS)
            if response.get("retry"):  # it could not clean up after its previous call
                handle.restart()
                again = time.monotonic() + limits.wall_seconds + _HOST_SLACK_SECONDS
                response = handle.request(request, again)
            if response.get("replace"):
                handle.restart()
        except _WorkerDied as exc:
            handle.restart()
            response = {"status": "crashed", "error": f"{exc}; worker restarted"}
        finally:
            self._idle.put(handle)
        return _to_result(response, limits.result_bytes, time.monotonic() - start)

    def call_many(
        self, source: str, entry: str, args_list: list[list], limits: Limits = Limits()
    ) -> list[CallResult]:
        """`call` for each args item (each in its own fresh child), spread over the workers.
        Each call's result is capped at its share of BATCH_RESULT_BYTES (at least
        BATCH_FLOOR_BYTES, at most `limits.result_bytes`): the same for every call, so which
        results fit never depends on timing."""
        share = max(BATCH_FLOOR_BYTES, BATCH_RESULT_BYTES // max(1, len(args_list)))
        limits = dataclasses.replace(limits, result_bytes=min(limits.result_bytes, share))
        results: list[CallResult | None] = [None] * len(args_list)
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(len(args_list)):
            todo.put(i)

        def drain() -> None:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                results[i] = self.call(source, entry, args_list[i], limits)

        threads = [
            threading.Thread(target=drain)
            for _ in range(min(len(args_list), len(self._handles)) - 1)
        ]
        for t in threads:
            t.start()
        drain()
        for t in threads:
            t.join()
        return [r for r in results if r is not None]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for h in self._handles:
            h.stop()


def _to_result(response: dict[str, Any], max_bytes: int, host_wall: float) -> CallResult:
    """The CallResult of a worker's response, the value decoded within the codec's bounds;
    anything undecodable is a bad_output, never an exception here."""
    status, value, error = response["status"], None, _text(response.get("error"))
    if status not in STATUSES:
        status, error = "crashed", f"unknown status from the sandbox worker: {status[:50]!r}"
    elif status == "ok":
        try:
            value = codec.loads(_text(response.get("value")), max_bytes)
        except Exception as exc:  # noqa: BLE001 - whatever the child sent, the host carries on
            status, error = "bad_output", f"undecodable return value: {str(exc)[:500]}"
    return CallResult(
        status=status,  # type: ignore[arg-type] - checked against STATUSES above
        value=value,
        error=error,
        stdout=_text(response.get("stdout")),
        stderr=_text(response.get("stderr")),
        cpu_seconds=_number(response.get("cpu_seconds"), 0.0),
        wall_seconds=_number(response.get("wall_seconds"), host_wall),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any, default: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else default


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide Sandbox, created on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default
