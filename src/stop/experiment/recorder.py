"""What a run writes to the store, in one place, with the run's context attached."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stop.store import Store


@dataclass
class RunRecorder:
    """Records events and evaluations of one run; `context` (e.g. iteration) goes with each."""

    store: Store
    run_id: str
    context: dict[str, Any] = field(default_factory=dict)

    def with_context(self, **context: Any) -> RunRecorder:
        return RunRecorder(self.store, self.run_id, {**self.context, **context})

    def event(self, kind: str, **payload: Any) -> None:
        self.store.record_event(self.run_id, kind, {**self.context, **payload})

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
