"""`run_improver`: an improver runs in a confined child and reaches the host only by RPC.

The host objects (utility, language model) stay here with every budget and record; the child
holds proxies. Each run serves its child from the calling thread, so concurrent runs (a thread
pool) never wait on each other, and a timer enforces the wall deadline even while the host is
busy answering a slow LM call.
"""

from __future__ import annotations

import os
import random
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from stop.errors import SandboxError
from stop.sandbox import child, codec, confine, mounts
from stop.sandbox.improver_process import EXIT_GRACE_SECONDS, ImproverProcess
from stop.sandbox.isolation import Isolation, detect_isolation, sandbox_config
from stop.sandbox.limits import Limits, Status
from stop.sandbox.rpc import (
    CALLABLE,
    READABLE,
    REFUSED,
    TRIMMED,
    Channel,
    Deadline,
    ProtocolError,
)


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
        self.dropped_events = 0
        self.deadline_hit = False
        self._lock = threading.Lock()
        self.protocol_error = ""

    def run(self, source: str, initial_solution: str) -> ImproverResult:
        start = time.monotonic()
        deadline = start + self.limits.wall_seconds
        to_child, from_child = os.pipe(), os.pipe()
        real_root = os.geteuid() == 0 and self.iso.method != "unshare-userns"
        uid = random.SystemRandom().randrange(1 << 20, 1 << 30) if real_root else None
        workdir = None
        if self.iso.method == "rlimits":  # no mount namespace: a directory on the host's /tmp
            workdir = mounts.plain_scratch(tempfile.gettempdir(), uid)
        process = ImproverProcess(
            self.iso.method, (to_child[0], from_child[1]), self.limits.output_bytes
        )
        os.close(to_child[0])
        os.close(from_child[1])
        timer = threading.Timer(self.limits.wall_seconds, self._deadline, (process,))
        timer.start()
        channel = Channel(from_child[0], to_child[1], deadline=deadline)
        message = None
        try:
            process.find_init(deadline)
            channel.send(self._init(source, initial_solution, uid, workdir))
            message = self._serve(channel)
        except (OSError, ProtocolError) as exc:
            self.protocol_error = str(exc)[:500]
            self._event("rpc_protocol_error", message=self.protocol_error)
            process.kill()
        except Deadline:  # the channel saw the deadline before (or without) the timer
            self._deadline(process)
        finally:
            # Whatever happened, nothing of the improver outlives this call.
            returncode = process.wait(min(EXIT_GRACE_SECONDS, deadline - time.monotonic()))
            timer.cancel()
            process.kill()
            for fd in (from_child[0], to_child[1]):
                os.close(fd)
            process.close()
            if workdir:
                mounts.remove_tree(workdir)
        for name, sink in (("stdout", process.out), ("stderr", process.err)):
            if sink.dropped:
                self._event("output_capped", stream=name, dropped=sink.dropped)
        if self.dropped_events:
            self.events.append({"kind": "events_capped", "dropped": self.dropped_events})
        status, value, error = self._outcome(message, returncode)
        return ImproverResult(
            status,
            value,
            error,
            process.out.text(),
            process.err.text(),
            time.monotonic() - start,
            self.events,
        )

    def _init(
        self, source: str, initial_solution: str, uid: int | None, workdir: str | None
    ) -> dict[str, Any]:
        others = 0
        if self.iso.method == "rlimits" and self.limits.max_processes > 1:
            others = confine.user_tasks()  # RLIMIT_NPROC counts all of this user's tasks
        return {
            "source": source,
            "initial_solution": initial_solution,
            "limits": self.limits.to_dict(),
            **sandbox_config(self.iso.method),
            "uid": uid,
            "workdir": workdir,
            "others": others,
        }

    def _serve(self, channel: Channel) -> dict[str, Any] | None:
        """Answer the child's requests until it sends its result (or dies: None)."""
        while (request := channel.recv()) is not None:
            if request.get("op") == "result":
                return request
            if request.get("op") in (REFUSED, TRIMMED):
                self._notice(request)  # one-way: recorded, never answered
                continue
            try:
                answer = {"value": codec.encode(self._answer(request))}
            except Exception as exc:  # noqa: BLE001 - the host object's failure goes to the child
                answer = {"error": {"type": type(exc).__name__, "message": str(exc)[:2000]}}
            try:
                channel.send(answer)
            except BrokenPipeError:
                return None
        return None

    def _notice(self, request: dict[str, Any]) -> None:
        if request["op"] == REFUSED:  # the child's proxy refused a read itself
            target, name = request.get("target"), request.get("name")
            self._event("proxy_misuse", op="getattr", target=target, name=name, value=None)
        else:  # sent by the child's bootstrap before any of the improver's code ran
            dropped, cut_from = request.get("dropped"), request.get("cut_from")
            self._event("source_trimmed", dropped=dropped, cut_from=cut_from)

    def _answer(self, request: dict[str, Any]) -> Any:
        op, target, name = request.get("op"), request.get("target"), request.get("name")
        if not isinstance(target, str) or not isinstance(name, str | None):
            raise TypeError("malformed request")
        if op == "getattr" and name in READABLE.get(target, ()):
            return getattr(self.targets[target], name)
        if op == "call" and request.get("method") in CALLABLE.get(target, ()):
            return self._call(target, request["method"], request)
        self._event("proxy_misuse", op=op, target=target, name=name, value=request.get("value"))
        if op == "setattr":
            return None  # ignored: budgets live here, the write changes nothing
        raise AttributeError(
            f"{_brief(target)}.{_brief(name or request.get('method'))} is not available to"
            " improvers"
        )

    def _call(self, target: str, method: str, request: dict[str, Any]) -> Any:
        args = codec.decode(request.get("args", []))
        kwargs = codec.decode(request.get("kwargs", {}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise TypeError("malformed call")
        if target == "utility" and "use_sandbox" in kwargs:
            # Forwarded as given: the host utility ignores it (evaluation is always sandboxed).
            kind = "use_sandbox_false" if not kwargs["use_sandbox"] else "use_sandbox_true"
            self._event(kind, kwargs={k: repr(v)[:100] for k, v in list(kwargs.items())[:20]})
        try:
            _check_text_sizes(target, [*args, *kwargs.values()])
            return getattr(self.targets[target], method)(*args, **kwargs)
        except Exception as exc:
            kind = _ERROR_KINDS.get(type(exc).__name__, f"{_SHORT[target]}_error")
            self._event(kind, target=target, type=type(exc).__name__, message=str(exc)[:500])
            raise

    def _event(self, kind: str, **details: Any) -> None:
        """Record an event, its details shortened; past MAX_EVENTS only count it, so a loop of
        misuses cannot grow the host's memory or the run store."""
        if len(self.events) >= MAX_EVENTS:
            self.dropped_events += 1
            return
        self.events.append({"kind": kind, **{k: _brief(v) for k, v in details.items()}})

    def _deadline(self, process: ImproverProcess) -> None:
        with self._lock:  # the timer's thread and ours may both get here
            if self.deadline_hit:
                return
            self.deadline_hit = True
        self._event("deadline_kill", wall_seconds=self.limits.wall_seconds)
        process.kill()

    def _outcome(self, message: dict[str, Any] | None, returncode: int) -> tuple[Any, Any, str]:
        if self.deadline_hit:
            return "timeout", None, f"wall-clock deadline of {self.limits.wall_seconds} s exceeded"
        if self.protocol_error:
            return "bad_output", None, f"the improver broke the RPC protocol: {self.protocol_error}"
        if message is not None:
            status, value = message.get("status"), message.get("value")
            if status == "ok" and isinstance(value, str):
                if len(value) > MAX_SOURCE_CHARS:
                    error = f"returned {len(value)} characters, more than {MAX_SOURCE_CHARS}"
                    return "bad_output", None, error
                return "ok", value, ""
            if status in ("memory", "crashed", "bad_output", "exception", "violation"):
                return status, None, child.shorten(_text(message.get("error")))
            return "bad_output", None, "malformed result from the improver child"
        if returncode == child.EXIT_CPU or returncode in (
            -signal.SIGXCPU,
            -signal.SIGKILL,
        ):
            return "timeout", None, f"CPU time limit of {self.limits.cpu_seconds} s exceeded"
        if returncode == child.EXIT_MEMORY:
            return "memory", None, f"memory limit of {self.limits.memory_bytes} bytes exceeded"
        return "crashed", None, f"improver child exited with code {returncode} without a result"


MAX_EVENTS = 200  # per improver run
MAX_SOURCE_CHARS = 1 << 20  # a solution source, returned or passed to the utility
MAX_PROMPT_CHARS = 256 << 10  # each text passed to the language model


def _check_text_sizes(target: str, values: list[Any]) -> None:
    """Refuse texts larger than any honest one, before the host object sees them: each would
    be stored (an evaluated source, a prompt in the LM cache) on every call."""
    limit = MAX_SOURCE_CHARS if target == "utility" else MAX_PROMPT_CHARS
    texts = [v for v in values if isinstance(v, str)]
    texts += [m for v in values if isinstance(v, list) for m in v if isinstance(m, str)]
    for text in texts:
        if len(text) > limit:
            raise ValueError(f"a text of {len(text)} characters; {target} accepts at most {limit}")


def _brief(value: Any) -> Any:
    """`value` if small and plain, else a short text of it: events carry what the child sent."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= 500 else value[:500] + f"... [{len(value)} characters]"
    if isinstance(value, dict) and len(value) <= 20:
        return {str(k)[:100]: _brief(v) for k, v in value.items()}
    return _brief(repr(value)[:600])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


_SHORT = {"utility": "utility", "language_model": "lm"}
_ERROR_KINDS = {"BudgetExceeded": "budget_exceeded"}
