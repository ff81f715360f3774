"""JSON lines over a pair of pipe fds: the improver child's only channel to the host."""

from __future__ import annotations

import json
import os
import select
import time
from typing import Any

from stop.sandbox import codec

# A larger message is a protocol violation, not a memory bomb on us. An improver's largest
# honest message is a few candidate sources or prompts.
MAX_LINE_BYTES = 8 << 20
MAX_VALUES = 50_000  # per message: a list of a million tiny values would cost ~30x its text

# What an improver may reach on each host object; everything else is refused and recorded.
CALLABLE = {
    "utility": frozenset({"__call__"}),
    "language_model": frozenset({"batch_prompt", "prompt"}),
}
READABLE = {
    "utility": frozenset({"str", "budget", "uses", "feedback"}),
    "language_model": frozenset({"budget", "max_responses_per_call"}),
}
# A one-way notice from the child's proxy: it refused a read of an attribute outside READABLE
# itself. The host records it as a misuse and sends no answer.
REFUSED = "refused_getattr"
# A one-way notice sent before the improver's code runs: the lines of its source that will not
# run (example usage after the definition, a tail cut off at max_tokens). Recorded, unanswered.
TRIMMED = "trimmed_source"


class ProtocolError(Exception):
    """The other side sent something that is not a message of this protocol."""


class Deadline(Exception):
    """The channel's deadline passed while waiting for the other side."""


class Channel:
    """Line-oriented reads and writes on raw fds (no buffering surprises after fork).

    With a `deadline` (the host's side) the fds are non-blocking and every wait ends at it, so
    a peer that neither reads nor writes, or a leftover process holding a pipe, cannot hold
    the host; without one (the child's side) reads and writes block.
    """

    def __init__(self, read_fd: int, write_fd: int, deadline: float | None = None) -> None:
        self.read_fd, self.write_fd, self.deadline = read_fd, write_fd, deadline
        self._buffer = bytearray()
        if deadline is not None:
            os.set_blocking(read_fd, False)
            os.set_blocking(write_fd, False)

    def send(self, payload: dict[str, Any]) -> None:
        data = memoryview((json.dumps(payload, separators=(",", ":")) + "\n").encode())
        while data:
            self._wait(self.write_fd, write=True)
            try:
                data = data[os.write(self.write_fd, data) :]
            except BlockingIOError:
                continue

    def recv(self) -> dict[str, Any] | None:
        """The next message, or None at end of stream; ProtocolError for anything that is not
        a JSON object within the codec's bounds (size, depth, 64-bit integers)."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                try:
                    message = codec.parse(line, MAX_LINE_BYTES, MAX_VALUES)
                except ValueError as exc:
                    raise ProtocolError(str(exc)[:300]) from None
                if not isinstance(message, dict):
                    raise ProtocolError("message is not a JSON object")
                return message
            if len(self._buffer) > MAX_LINE_BYTES:
                raise ProtocolError(f"message longer than {MAX_LINE_BYTES} bytes")
            self._wait(self.read_fd, write=False)
            try:
                chunk = os.read(self.read_fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                return None
            self._buffer += chunk

    def _wait(self, fd: int, write: bool) -> None:
        if self.deadline is None:
            return
        left = self.deadline - time.monotonic()
        ready = (
            select.select([], [fd], [], max(0.0, left))
            if write
            else select.select([fd], [], [], max(0.0, left))
        )
        if not any(ready):
            raise Deadline(f"no progress on the channel before its deadline ({left:.1f} s)")
