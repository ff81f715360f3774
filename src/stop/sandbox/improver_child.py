"""Bootstrap of the improver child: confine, install the proxies, run `improve_algorithm`.

Run as `python -I -m stop.sandbox.improver_child READ_FD WRITE_FD`. The child holds no budget,
no key and no store: `utility` and `language_model` are proxies whose every use is an RPC.
"""

from __future__ import annotations

import ast
import builtins
import os
import random
import signal
import sys
import zlib
from dataclasses import dataclass, field
from typing import Any

import stop.errors
import stop.helpers
from stop.sandbox import child, codec, confine, mounts
from stop.sandbox.rpc import READABLE, REFUSED, TRIMMED, Channel


class RemoteError(Exception):
    """A host-side exception with no importable class of the same name."""


def _remote_exception(kind: str, message: str) -> Exception:
    """The host's exception, re-created here with the same message: a class from stop.errors or
    builtins when the name matches one (so `except BudgetExceeded` works), else RemoteError."""
    for scope in (stop.errors, builtins):
        cls = getattr(scope, kind, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            try:
                return cls(message)
            except TypeError:
                break
    safe = kind if kind.isidentifier() else "RemoteError"
    return type(safe, (RemoteError,), {})(message)


class _Proxy:
    _target = ""

    def __init__(self, channel: Channel) -> None:
        object.__setattr__(self, "_channel", channel)

    def _rpc(self, payload: dict[str, Any]) -> Any:
        self._channel.send({"target": self._target, **payload})
        answer = self._channel.recv()
        if answer is None:
            os._exit(child.EXIT_INTERNAL)  # the host is gone: nothing left to do
        if "error" in answer:
            raise _remote_exception(answer["error"]["type"], answer["error"]["message"])
        return codec.decode(answer["value"])

    def _call(self, method: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        payload = {"op": "call", "method": method, "args": codec.encode(list(args))}
        return self._rpc(payload | {"kwargs": codec.encode(kwargs)})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in READABLE[self._target]:
            # Refused here, without a round trip (~45 us of the improver's CPU each), and the
            # host is told so it records the misuse; the refused attribute is never reached.
            self._channel.send({"target": self._target, "op": REFUSED, "name": name})
            raise AttributeError(f"{self._target}.{name[:500]} is not available to improvers")
        return self._rpc({"op": "getattr", "name": name})

    def __setattr__(self, name: str, value: Any) -> None:
        # Budgets live on the host: the write is reported there and has no effect.
        self._rpc({"op": "setattr", "name": name, "value": repr(value)[:200]})


class UtilityProxy(_Proxy):
    _target = "utility"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("__call__", args, kwargs)


class LanguageModelProxy(_Proxy):
    _target = "language_model"

    def batch_prompt(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("batch_prompt", args, kwargs)

    def prompt(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("prompt", args, kwargs)


def _confine(init: dict[str, Any], parent: int) -> None:
    limits = init["limits"]
    uid = init.get("uid")
    if init["method"] != "rlimits":
        mounts.setup_filesystem(init["hide"], init["keep"])
        workdir = mounts.mount_scratch(limits["scratch_bytes"], uid)
    else:  # no mount namespace: the host made (and will remove) the directory
        workdir = init["workdir"]
    os.chdir(workdir)
    confine.scrub_environment(workdir)
    confine.reset_signals()
    confine.drop_privileges(uid)
    confine.die_with_parent(parent)  # after the uid change, which clears it
    own = uid is not None or (init["method"] != "rlimits" and confine.KEYRINGS_PER_USER_NAMESPACE)
    if own and confine.has_keys(os.getuid()):  # never the host user's own keys
        confine.clear_keyrings()
    # CPU here is the improver's own: time spent waiting on the host's LM is not counted.
    cpu = max(1, int(limits["cpu_seconds"] + 0.999))
    confine.apply_rlimits(limits, cpu_seconds=(cpu, cpu + 1), others=init.get("others", 0))
    signal.signal(signal.SIGXCPU, lambda *_: os._exit(child.EXIT_CPU))


def main() -> None:
    parent = os.getppid()  # `unshare` (or the host, without namespaces)
    channel = Channel(int(sys.argv[1]), int(sys.argv[2]))
    init = channel.recv()
    if init is None:
        os._exit(child.EXIT_INTERNAL)
    try:
        _confine(init, parent)
    except BaseException:  # never run the improver unconfined
        os._exit(child.EXIT_INTERNAL)
    sys.modules["helpers"] = stop.helpers  # original STOP improvers: `from helpers import ...`
    try:
        result = _run(init, channel)
        channel.send({"op": "result", **result})
    except MemoryError:
        os._exit(child.EXIT_MEMORY)
    except BaseException:
        os._exit(child.EXIT_INTERNAL)
    os._exit(0)


# Statements that only define things: kept wherever they stand in an improver's module.
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CUT_TRIES = 10  # cut points `parse_improver` tries before a truncated improver's error stands


def _improver_definition(module: ast.Module) -> int | None:
    """The index of the module's last top-level `def improve_algorithm` (None: it has none)."""
    found = None
    for index, node in enumerate(module.body):
        if isinstance(node, ast.FunctionDef) and node.name == "improve_algorithm":
            found = index
    return found


@dataclass
class Trim:
    """What of an improver's source is not run: example usage after the definition (line
    ranges) and a cut-off tail (its first line). Sent to the host, which records it."""

    dropped: list[tuple[int, int]] = field(default_factory=list)
    cut_from: int | None = None

    def __bool__(self) -> bool:
        return bool(self.dropped) or self.cut_from is not None


def without_example_usage(module: ast.Module, trim: Trim) -> ast.Module:
    """The improver's module minus the example usage after `improve_algorithm`'s definition:
    there, a top-level statement that is not an import, a definition or an assignment free of
    calls is dropped (and its lines noted in `trim`). Language models end improvers they write
    with lines like `utility = MetaUtility()` and `print(improve_algorithm(...))`, which raise
    at import time (NameError) before `improve_algorithm` is ever called; everything before
    the definition, and constants after it, stay. Line numbers are kept, so tracebacks point
    at the source."""
    end = _improver_definition(module)
    if end is None:
        return module
    body = module.body[: end + 1]
    for node in module.body[end + 1 :]:
        call_free = isinstance(node, ast.Assign | ast.AnnAssign) and not any(
            isinstance(n, ast.Call) for n in ast.walk(node)
        )
        if isinstance(node, _DEFINITIONS) or call_free:
            body.append(node)
        else:
            trim.dropped.append((node.lineno, node.end_lineno or node.lineno))
    return ast.Module(body=body, type_ignores=module.type_ignores)


def parse_improver(source: str) -> tuple[ast.Module, Trim]:
    """The improver's module as it runs, and what of the source it leaves out. An answer cut
    off at `max_tokens` ends inside its last top-level statement (the embedded model's
    improvers went on to copy the meta-utility): that statement is dropped when the rest
    parses and still defines `improve_algorithm`; otherwise the original SyntaxError stands."""
    trim = Trim()
    try:
        return without_example_usage(ast.parse(source, "<improver>"), trim), trim
    except SyntaxError as error:
        lines = source.split("\n")
        broken = min(error.lineno or len(lines), len(lines)) - 1  # 0-based line of the error
        if any(line[:1].isalpha() for line in lines[broken + 1 :]):
            raise  # not a cut-off tail: statements follow the error
        # Top-level statements start in column 0; try the few nearest the error, latest first
        # (a column-0 line inside a string does not parse as a cut and is passed over).
        starts = [i for i in range(broken, 0, -1) if lines[i][:1].isalpha()][:_CUT_TRIES]
        for start in starts:
            try:
                module = ast.parse("\n".join(lines[:start]), "<improver>")
            except SyntaxError:
                continue
            if _improver_definition(module) is not None:
                trim.cut_from = start + 1
                return without_example_usage(module, trim), trim
        raise


def _run(init: dict[str, Any], channel: Channel) -> dict[str, Any]:
    source = init["source"]
    namespace: dict[str, Any] = {"__name__": "__improver__", "__builtins__": builtins}
    # A fixed seed per (improver, input): an improver that uses `random` makes the same
    # choices when its run is resumed or replayed from recorded LM answers.
    random.seed(zlib.crc32((source + "\0" + init["initial_solution"]).encode()))
    try:
        module, trim = parse_improver(source)
        if trim:  # told before any of the improver's code runs, so the record is ours
            channel.send({"op": TRIMMED, "dropped": trim.dropped, "cut_from": trim.cut_from})
        exec(compile(module, "<improver>", "exec"), namespace)  # noqa: S102 - confined child
        improve = namespace.get("improve_algorithm")
        if not callable(improve):
            raise NameError("the improver does not define improve_algorithm")
        value = improve(
            init["initial_solution"], UtilityProxy(channel), LanguageModelProxy(channel)
        )
    except BaseException as exc:  # noqa: BLE001 - the improver's failure is data
        error = child.format_traceback(exc)
        if isinstance(exc, SystemExit):
            error = f"improver called sys.exit({exc.code!r})"
        return {"status": child.classify(exc), "error": error}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    if not isinstance(value, str):
        return {
            "status": "bad_output",
            "error": f"improve_algorithm returned {type(value).__name__}, not str",
        }
    return {"status": "ok", "value": value}


if __name__ == "__main__":
    main()
