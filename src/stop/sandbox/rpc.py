"""JSON lines over a pair of pipe fds: the improver child's only channel to the host."""

from __future__ import annotations

import json
import os
from typing import Any

MAX_LINE_BYTES = 32 << 20  # a larger message is a protocol violation, not a memory bomb on us

# What an improver may reach on each host object; everything else is refused and recorded.
CALLABLE = {
    "utility": frozenset({"__call__"}),
    "language_model": frozenset({"batch_prompt", "prompt"}),
}
READABLE = {
    "utility": frozenset({"str", "budget", "uses"}),
    "language_model": frozenset({"budget", "max_responses_per_call"}),
}


class ProtocolError(Exception):
    pass


class Channel:
    """Blocking, line-oriented reads and writes on raw fds (no buffering surprises after fork)."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self._buffer = bytearray()

    def send(self, payload: dict[str, Any]) -> None:
        data = memoryview((json.dumps(payload, separators=(",", ":")) + "\n").encode())
        while data:
            data = data[os.write(self.write_fd, data) :]

    def recv(self) -> dict[str, Any] | None:
        """The next message, or None at end of stream."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                message = json.loads(line)
                if not isinstance(message, dict):
                    raise ProtocolError("message is not a JSON object")
                return message
            if len(self._buffer) > MAX_LINE_BYTES:
                raise ProtocolError(f"message longer than {MAX_LINE_BYTES} bytes")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                return None
            self._buffer += chunk
