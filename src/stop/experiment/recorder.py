"""What a run writes to the store, in one place, with the run's context attached.

Events are bounded, because some carry what untrusted code sent (an improver's refused
attribute writes, error texts): each payload is at most MAX_EVENT_BYTES of JSON (long texts are
shortened, then the payload is summarised), and a run records at most MAX_EVENTS_PER_RUN events
(the last one says the cap was reached; later ones are counted, not stored).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from stop.store import Store

MAX_EVENT_BYTES = 16 << 10
MAX_EVENTS_PER_RUN = 10_000
_TEXT_CHARS = 2000  # a long string in a payload keeps this many characters
_LIST_ITEMS = 50  # a long list in a payload keeps this many items


@dataclass
class _Quota:
    """Events of one run, shared by its recorder and every `with_context` copy."""

    used: int | None = None  # read from the store on first use (a resumed run has some)
    dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class RunRecorder:
    """Records events and evaluations of one run; `context` (e.g. iteration) goes with each."""

    store: Store
    run_id: str
    context: dict[str, Any] = field(default_factory=dict)
    _quota: _Quota = field(default_factory=_Quota, repr=False)

    def with_context(self, **context: Any) -> RunRecorder:
        return RunRecorder(self.store, self.run_id, {**self.context, **context}, self._quota)

    @property
    def dropped_events(self) -> int:
        """Events not stored because the run reached MAX_EVENTS_PER_RUN."""
        return self._quota.dropped

    def event(self, kind: str, **payload: Any) -> None:
        quota = self._quota
        with quota.lock:
            if quota.used is None:
                quota.used = self._stored_events()
            if quota.used >= MAX_EVENTS_PER_RUN:
                quota.dropped += 1
                return
            quota.used += 1
            if quota.used == MAX_EVENTS_PER_RUN:  # the last slot says why the rest is missing
                kind, payload = "events_capped", {"limit": MAX_EVENTS_PER_RUN, "next_kind": kind}
                quota.dropped += 1
        self.store.record_event(self.run_id, kind, bounded_payload({**self.context, **payload}))

    def _stored_events(self) -> int:
        rows = self.store.query("SELECT COUNT(*) FROM events WHERE run_id = ?", (self.run_id,))
        return int(rows[0][0])

    def evaluation(
        self, task: str, utility: str, source: str, score: float, status: str, detail: str = ""
    ) -> None:
        self.store.record_evaluation(self.run_id, task, utility, source, score, status, detail)

    def improver(
        self,
        iteration: int,
        source: str,
        parent_id: int | None,
        meta_utility: float | None,
        meta_utility_ci: float | None = None,
    ) -> int:
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO improvers (run_id, iteration, source, parent_id, meta_utility,"
                " meta_utility_ci, created_at) VALUES (?, ?, ?, ?, ?, ?, strftime('%s','now'))",
                (self.run_id, iteration, source, parent_id, meta_utility, meta_utility_ci),
            )
            return int(cursor.lastrowid)

    def choose_improver(self, improver_id: int) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE improvers SET chosen = 1 WHERE id = ?", (improver_id,))


def bounded_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` if its JSON fits MAX_EVENT_BYTES; else with long texts and lists shortened;
    else a summary naming its keys and size."""
    size = _json_size(payload)
    if size <= MAX_EVENT_BYTES:
        return payload
    shortened = _shorten(payload, 0)
    if _json_size(shortened) <= MAX_EVENT_BYTES:
        return {**shortened, "shortened_from_bytes": size}
    keys = sorted(str(k)[:100] for k in payload)[:_LIST_ITEMS]
    return {"truncated": True, "bytes": size, "keys": keys}


def _json_size(value: Any) -> int:
    try:
        return len(json.dumps(value, default=str))
    except (ValueError, RecursionError):  # too deep or an int too long to print
        return MAX_EVENT_BYTES + 1


def _shorten(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        cut = len(value) - _TEXT_CHARS
        return value if cut <= 0 else f"{value[:_TEXT_CHARS]}... [{cut} more characters]"
    if depth > 10:
        return "[nested too deep]"
    if isinstance(value, dict):
        items = list(value.items())[:_LIST_ITEMS]
        return {str(k)[:100]: _shorten(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [_shorten(v, depth + 1) for v in value[:_LIST_ITEMS]]
    return value if isinstance(value, bool | int | float | None) else _shorten(str(value), depth)
