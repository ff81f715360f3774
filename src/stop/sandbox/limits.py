"""What a sandboxed call may use (`Limits`) and what it gave back (`CallResult`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from stop.errors import SandboxError

Status = Literal[
    "ok", "timeout", "memory", "crashed", "killed", "bad_output", "exception", "violation"
]
STATUSES: tuple[str, ...] = (
    "ok",
    "timeout",
    "memory",
    "crashed",
    "killed",
    "bad_output",
    "exception",
    "violation",
)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed child.

    cpu_seconds is CPU time of the child (what a slow and a fast machine agree on), measured by
    its parent and enforced to the millisecond; RLIMIT_CPU is only the kernel backstop.
    max_processes counts the child itself and every thread and process it starts: 1 means "no
    fork, no threads"; k > 1 allows k - 1 more, all killed when the call ends.
    memory_bytes is per process (RLIMIT_AS). scratch_bytes caps the call's private writable
    directory (a tmpfs: it is memory too). result_bytes caps the returned value's JSON text
    (`Sandbox.call_many` may give each call less, see there).
    """

    cpu_seconds: float = 1.0
    wall_seconds: float = 10.0
    memory_bytes: int = 1 << 30
    max_processes: int = 1
    file_size_bytes: int = 1 << 20
    open_files: int = 64
    output_bytes: int = 64 * 1024
    scratch_bytes: int = 64 << 20
    result_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = float if f.type == "float" else int
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or (kind is int and value != int(value)) or not math.isfinite(value):
                raise SandboxError(f"Limits.{f.name} must be a finite {f.type}; got {value!r}")
            if value <= 0:
                raise SandboxError(f"Limits.{f.name} must be positive; got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CallResult:
    """Outcome of one sandboxed call; failures are data, never raised."""

    status: Status
    value: Any
    error: str
    stdout: str
    stderr: str
    cpu_seconds: float
    wall_seconds: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"
