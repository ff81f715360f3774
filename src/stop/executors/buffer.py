"""A recorder that keeps what a run would write, for the driver to write once.

A Ray task runs `ImproverRunner.run_on_task` against a `BufferedRecorder` instead of the store:
the events and evaluations travel back with the task's final result and the driver writes them
(`replay`). A task attempt that dies takes its buffer with it, so a retried run is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stop.store import Store

Record = tuple[str, tuple[Any, ...]]  # ("event", (kind, payload)) or ("evaluation", (...))


@dataclass
class BufferedRecorder:
    """Duck-types `RunRecorder` for the parts a downstream run uses (events, evaluations)."""

    run_id: str
    context: dict[str, Any] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)

    def with_context(self, **context: Any) -> BufferedRecorder:
        return BufferedRecorder(self.run_id, {**self.context, **context}, self.records)

    def event(self, kind: str, **payload: Any) -> None:
        self.records.append(("event", (kind, {**self.context, **payload})))

    def evaluation(
        self, task: str, utility: str, source: str, score: float, status: str, detail: str = ""
    ) -> None:
        self.records.append(("evaluation", (task, utility, source, score, status, detail)))


def replay(store: Store, run_id: str, records: list[Record]) -> None:
    """Write a finished run's buffered records to the store, in the order they happened."""
    for kind, args in records:
        if kind == "event":
            event_kind, payload = args
            store.record_event(run_id, event_kind, payload)
        elif kind == "evaluation":
            store.record_evaluation(run_id, *args)
        else:  # a record kind this driver does not know: refuse rather than drop it silently
            raise ValueError(f"unknown buffered record kind {kind!r}")
