"""`run_improver`: an improver runs in a confined child and reaches the host only by RPC.

The host objects (utility, language model) stay here with every budget and record; the child
holds proxies. Each run serves its child from the calling thread, so concurrent runs (a thread
pool) never wait on each other, and a timer enforces the wall deadline even while the host is
busy answering a slow LM call.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from stop.errors import SandboxError
from stop.sandbox import child, codec, confine
from stop.sandbox.isolation import Isolation, detect_isolation, launch_prefix, sandbox_config
from stop.sandbox.limits import Limits, Status
from stop.sandbox.rpc import CALLABLE, READABLE, Channel, ProtocolError
from stop.sandbox.supervise import _Capped


class HostUtility(Protocol):
    str: str
    budget: int
    uses: int

    def __call__(self, source: str, **kwargs: Any) -> float: ...


class HostLanguageModel(Protocol):
    budget: int
    max_responses_per_call: int

    def batch_prompt(
        self, expertise: str, messages: list[str], temperature: float = 0.7
    ) -> list[str]: ...

    def prompt(
        self, expertise: str, message: str, n_responses: int = 1, temperature: float = 0.7
    ) -> list[str]: ...


@dataclass(frozen=True)
class ImproverResult:
    """Outcome of one improver run; `value` is the returned source when status is "ok"."""

    status: Status
    value: str | None
    error: str
    stdout: str
    stderr: str
    wall_seconds: float
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def run_improver(
    improver_source: str,
    initial_solution: str,
    utility: HostUtility,
    language_model: HostLanguageModel,
    limits: Limits,
    *,
    isolation_required: bool = False,
    isolation: Isolation | None = None,
) -> ImproverResult:
    """Run `improve_algorithm(initial_solution, utility, language_model)` from
    `improver_source` in a confined child; failures come back as the result's status."""
    iso = isolation or detect_isolation()
    if isolation_required and not iso.full:
        raise SandboxError(
            f"isolation required but only {iso.method} is available; run as root or enable "
            "user namespaces, or drop --require-isolation."
        )
    return _Run(iso, utility, language_model, limits).run(improver_source, initial_solution)


class _Run:
    def __init__(self, iso: Isolation, utility: Any, lm: Any, limits: Limits) -> None:
        self.iso, self.limits = iso, limits
        self.targets = {"utility": utility, "language_model": lm}
        self.events: list[dict[str, Any]] = []
        self.deadline_hit = False

    def run(self, source: str, initial_solution: str) -> ImproverResult:
        start = time.monotonic()
        to_child, from_child = os.pipe(), os.pipe()
        real_root = os.geteuid() == 0 and self.iso.method != "unshare-userns"
        uid = random.SystemRandom().randrange(1 << 20, 1 << 30) if real_root else None
        workdir = (
            tempfile.mkdtemp(prefix="stop-improver-") if self.iso.method == "rlimits" else None
        )
        if workdir and uid is not None:
            os.chown(workdir, uid, uid)
        argv = [sys.executable, "-I", "-m", "stop.sandbox.improver_child"]
        proc = subprocess.Popen(
            launch_prefix(self.iso.method) + argv + [str(to_child[0]), str(from_child[1])],
            pass_fds=(to_child[0], from_child[1]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=confine.worker_environment(),
            start_new_session=True,
            cwd="/",
        )
        os.close(to_child[0])
        os.close(from_child[1])
        out, err = _Capped(self.limits.output_bytes), _Capped(self.limits.output_bytes)
        drains = [_drain(proc.stdout, out), _drain(proc.stderr, err)]
        timer = threading.Timer(self.limits.wall_seconds, self._kill, (proc,))
        timer.start()
        channel = Channel(from_child[0], to_child[1])
        try:
            channel.send(
                {
                    "source": source,
                    "initial_solution": initial_solution,
                    "limits": self.limits.to_dict(),
                    **sandbox_config(self.iso.method),
                    "uid": uid,
                    "workdir": workdir,
                }
            )
            message = self._serve(channel)
        except (OSError, ValueError, ProtocolError) as exc:
            self.events.append({"kind": "rpc_protocol_error", "message": str(exc)[:500]})
            message = None
            self._kill(proc, deadline=False)
        finally:
            returncode = proc.wait()
            timer.cancel()
            for fd in (from_child[0], to_child[1]):
                os.close(fd)
            for t in drains:
                t.join()
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        for name, sink in (("stdout", out), ("stderr", err)):
            if sink.dropped:
                self.events.append(
                    {"kind": "output_capped", "stream": name, "dropped": sink.dropped}
                )
        status, value, error = self._outcome(message, returncode)
        return ImproverResult(
            status, value, error, out.text(), err.text(), time.monotonic() - start, self.events
        )

    def _serve(self, channel: Channel) -> dict[str, Any] | None:
        """Answer the child's requests until it sends its result (or dies: None)."""
        while (request := channel.recv()) is not None:
            if request.get("op") == "result":
                return request
            try:
                answer = {"value": codec.encode(self._answer(request))}
            except Exception as exc:  # noqa: BLE001 - the host object's failure goes to the child
                answer = {"error": {"type": type(exc).__name__, "message": str(exc)}}
            try:
                channel.send(answer)
            except BrokenPipeError:
                return None
        return None

    def _answer(self, request: dict[str, Any]) -> Any:
        op, target, name = request.get("op"), request.get("target"), request.get("name")
        if op == "getattr" and name in READABLE.get(target, ()):
            return getattr(self.targets[target], name)
        if op == "call" and request.get("method") in CALLABLE.get(target, ()):
            return self._call(target, request["method"], request)
        self.events.append(
            {
                "kind": "proxy_misuse",
                "op": op,
                "target": target,
                "name": name,
                "value": request.get("value"),
            }
        )
        if op == "setattr":
            return None  # ignored: budgets live here, the write changes nothing
        raise AttributeError(
            f"{target}.{name or request.get('method')} is not available to improvers"
        )

    def _call(self, target: str, method: str, request: dict[str, Any]) -> Any:
        args = codec.decode(request.get("args", []))
        kwargs = codec.decode(request.get("kwargs", {}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise TypeError("malformed call")
        if target == "utility" and "use_sandbox" in kwargs:
            # Forwarded as given: the host utility ignores it (evaluation is always sandboxed).
            kind = "use_sandbox_false" if not kwargs["use_sandbox"] else "use_sandbox_true"
            self._event(kind, kwargs={k: repr(v)[:100] for k, v in kwargs.items()})
        try:
            return getattr(self.targets[target], method)(*args, **kwargs)
        except Exception as exc:
            kind = _ERROR_KINDS.get(type(exc).__name__, f"{_SHORT[target]}_error")
            self._event(kind, target=target, type=type(exc).__name__, message=str(exc)[:500])
            raise

    def _event(self, kind: str, **details: Any) -> None:
        self.events.append({"kind": kind, **details})

    def _kill(self, proc: subprocess.Popen[bytes], deadline: bool = True) -> None:
        if deadline:
            self.deadline_hit = True
            self.events.append({"kind": "deadline_kill", "wall_seconds": self.limits.wall_seconds})
        # The group holds unshare and, via --kill-child, the namespace's init and all inside it.
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)

    def _outcome(self, message: dict[str, Any] | None, returncode: int) -> tuple[Any, Any, str]:
        if self.deadline_hit:
            return "timeout", None, f"wall-clock deadline of {self.limits.wall_seconds} s exceeded"
        if message is not None:
            status = message.get("status")
            if status == "ok" and isinstance(message.get("value"), str):
                return "ok", message["value"], ""
            if status in ("memory", "crashed", "bad_output", "exception", "violation"):
                return status, None, str(message.get("error", ""))
            return "bad_output", None, "malformed result from the improver child"
        if returncode == child.EXIT_CPU or returncode in (
            -signal.SIGXCPU,
            -signal.SIGKILL,
        ):
            return "timeout", None, f"CPU time limit of {self.limits.cpu_seconds} s exceeded"
        if returncode == child.EXIT_MEMORY:
            return "memory", None, f"memory limit of {self.limits.memory_bytes} bytes exceeded"
        return "crashed", None, f"improver child exited with code {returncode} without a result"


_SHORT = {"utility": "utility", "language_model": "lm"}
_ERROR_KINDS = {"BudgetExceeded": "budget_exceeded"}


def _drain(stream: IO[bytes] | None, sink: _Capped) -> threading.Thread:
    def loop() -> None:
        assert stream is not None
        while chunk := stream.read1(1 << 16):
            sink.add(chunk)
        stream.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread
