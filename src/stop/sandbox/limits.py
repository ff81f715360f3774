"""What a sandboxed call may use (`Limits`) and what it gave back (`CallResult`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

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
    max_processes counts the child itself, so 1 means "no fork, no threads".
    """

    cpu_seconds: float = 1.0
    wall_seconds: float = 10.0
    memory_bytes: int = 1 << 30
    max_processes: int = 1
    file_size_bytes: int = 1 << 20
    open_files: int = 64
    output_bytes: int = 64 * 1024

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
