"""Which isolation layers this machine gives us, and how to start a process inside them.

Detection starts a real probe worker and records what actually took effect (a layer that merely
*should* work is not reported), so the record stored with each run is the truth.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stop.sandbox import confine

METHODS = ("unshare-root", "unshare-userns", "rlimits")
# --ipc: SysV IPC objects and POSIX message queues of the host (and of other runs) are out of
# reach, and each call then gets a fresh IPC namespace of its own (confine.CallNamespaces).
_UNSHARE = ["--net", "--ipc", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child"]
RLIMITS_WARNING = (
    "NO NAMESPACE ISOLATION: sandboxed code can use the network and read and write whatever "
    "this user can; only rlimits, a scrubbed environment and process-group kills apply. "
    "Run as root or enable unprivileged user namespaces, or pass --require-isolation to refuse."
)


@dataclass(frozen=True)
class Isolation:
    """The layers active for sandboxed code; `method` is one of `METHODS`."""

    network_namespace: bool
    pid_namespace: bool
    mount_namespace: bool
    readonly_root: bool
    rlimits: bool
    method: str
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def full(self) -> bool:
        """Every layer is active: what `require_isolation` insists on."""
        return all(
            (
                self.network_namespace,
                self.pid_namespace,
                self.mount_namespace,
                self.readonly_root,
                self.rlimits,
            )
        )


def launch_prefix(method: str) -> list[str]:
    """argv prefix that starts a program inside fresh namespaces for `method`."""
    if method == "unshare-root":
        return ["unshare", *_UNSHARE, "--"]
    if method == "unshare-userns":
        return ["unshare", "--map-root-user", *_UNSHARE, "--"]
    return []


def secret_paths() -> list[str]:
    """Paths hidden from sandboxed code by empty read-only mounts: the run store and $HOME."""
    paths = [os.environ.get("STOP_HOME") or str(Path.home() / ".cache" / "stop"), str(Path.home())]
    paths = [os.path.realpath(p) for p in paths]
    # A path under another hidden one is hidden already.
    return sorted({p for p in paths if not any(q != p and _under(p, q) for q in paths)})


@functools.cache
def interpreter_paths() -> list[str]:
    """What sandboxed Python needs to see even under a hidden path: the prefixes and sys.path
    of an isolated interpreter (`python -I`, as the sandbox starts it) and this package. Not
    this process's sys.path: it may hold a script's folder or a checkout's root, with files
    (a `.env`) that must stay hidden."""
    probe = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, *sys.path]))"
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", probe], capture_output=True, timeout=30, check=True
        )
        paths = [str(p) for p in json.loads(done.stdout)]
    except (OSError, ValueError, subprocess.SubprocessError):
        paths = [sys.prefix, sys.base_prefix]
    paths.append(str(Path(__file__).resolve().parents[2]))
    real = {os.path.realpath(p) for p in paths if p and os.path.isdir(p)}
    return sorted(p for p in real if not any(q != p and _under(p, q) for q in real))


def _under(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def sandbox_config(method: str, preload: tuple[str, ...] = ()) -> dict[str, Any]:
    """The configuration a sandbox process needs to confine itself."""
    return {
        "method": method,
        "preload": list(preload),
        "hide": secret_paths(),
        "keep": interpreter_paths(),
    }


def start_worker_process(method: str, config: dict[str, Any]) -> subprocess.Popen[bytes]:
    """A sandbox worker process (`stop.sandbox.worker`) with a scrubbed environment."""
    argv = [sys.executable, "-I", "-m", "stop.sandbox.worker", json.dumps(config)]
    return subprocess.Popen(
        launch_prefix(method) + argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=confine.worker_environment(),
        start_new_session=True,  # Ctrl-C in the terminal reaches the host only
        cwd="/",
    )


def _method_works(method: str) -> bool:
    try:
        done = subprocess.run(
            [*launch_prefix(method), "true"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _candidate_method() -> str:
    if shutil.which("unshare"):
        for method in ("unshare-root", "unshare-userns") if os.geteuid() == 0 else METHODS[1:2]:
            if _method_works(method):
                return method
    return "rlimits"


def from_hello(method: str, hello: dict[str, Any]) -> Isolation:
    """The Isolation a worker reported after setting itself up."""
    warnings = list(hello.get("warnings", []))
    if method == "rlimits":
        warnings.insert(0, RLIMITS_WARNING)
    return Isolation(
        network_namespace=bool(hello["network_namespace"]),
        pid_namespace=bool(hello["pid_namespace"]),
        mount_namespace=bool(hello["mount_namespace"]),
        readonly_root=bool(hello["readonly_root"]),
        rlimits=bool(hello["rlimits"]),
        method=method,
        warnings=warnings,
    )


@functools.cache
def detect_isolation() -> Isolation:
    """The layers available here, measured by starting one probe worker (cached per process)."""
    method = _candidate_method()
    proc = start_worker_process(method, sandbox_config(method))
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline()
        proc.stdin.close()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not line:
        return from_hello("rlimits", _rlimits_only_hello("probe worker failed to start"))
    return from_hello(method, json.loads(line))


def _rlimits_only_hello(reason: str) -> dict[str, Any]:
    return {
        "network_namespace": False,
        "pid_namespace": False,
        "mount_namespace": False,
        "readonly_root": False,
        "rlimits": True,
        "warnings": [reason],
    }
