"""Everything the analyses and the report read about one run, loaded once from the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stop.store import Store
from stop.tasks.scale import Scale, recorded


@dataclass(frozen=True)
class ImproverRecord:
    """One row of the `improvers` table: a candidate scored at `iteration` (chosen: I[t])."""

    id: int
    iteration: int
    source: str
    parent_id: int | None
    meta_utility: float | None
    meta_utility_ci: float | None
    chosen: bool


@dataclass(frozen=True)
class LMCallRecord:
    """The numbers of one recorded LM sample (prompt and text are left in the store)."""

    created_at: float
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    cache_hit: bool
    error: str | None


@dataclass(frozen=True)
class EventRecord:
    kind: str
    payload: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class EvaluationRecord:
    task: str
    utility: str  # 'visible' | 'secret-validation' | 'secret-test'
    source: str
    score: float
    status: str
    detail: str


@dataclass(frozen=True)
class RunData:
    """A run's row (config, environment, result decoded) and all its records."""

    run: dict[str, Any]
    improvers: tuple[ImproverRecord, ...]
    lm_calls: tuple[LMCallRecord, ...]
    events: tuple[EventRecord, ...]
    evaluations: tuple[EvaluationRecord, ...]

    @property
    def run_id(self) -> str:
        return str(self.run["id"])

    @property
    def model(self) -> str:
        return str(self.run["config"].get("model", ""))

    @property
    def result(self) -> dict[str, Any]:
        return self.run.get("result") or {}

    def scales(self) -> dict[str, Scale]:
        """Task name -> the range its scores lie in, as the run's result records it (the run's
        own task and each transfer task; a result with a scale but no task name under ""). A
        task the result does not name (a run that did not finish, or one made before runs
        recorded scales) is absent: read it as [0, 1]."""
        result = self.result
        cells = [c for c in result.get("transfer") or [] if isinstance(c, dict)]
        out = {str(c.get("task")): recorded(c) for c in cells}
        if result.get("task") or "scale" in result:
            out[str(result.get("task") or "")] = recorded(result)
        return out

    def chosen(self) -> list[ImproverRecord]:
        """I[0], I[1], ... in order (the chosen improver of each iteration)."""
        return sorted((i for i in self.improvers if i.chosen), key=lambda i: i.iteration)

    def generated(self) -> list[ImproverRecord]:
        """Improvers written by the LM: iteration >= 1, not a copy of their parent, each
        distinct source once (the first row that holds it)."""
        by_id = {i.id: i for i in self.improvers}
        seen: set[str] = set()
        out = []
        for imp in sorted(self.improvers, key=lambda i: i.id):
            parent = by_id.get(imp.parent_id) if imp.parent_id is not None else None
            if imp.iteration < 1 or (parent and parent.source == imp.source):
                continue
            if imp.source not in seen:
                seen.add(imp.source)
                out.append(imp)
        return out

    def events_of(self, kind: str) -> list[EventRecord]:
        return [e for e in self.events if e.kind == kind]


def load_run(store: Store, run_id: str) -> RunData:
    """All records of `run_id` (StoreError names `stop runs list` if it does not exist)."""
    run = store.get_run(run_id)
    improvers = tuple(
        ImproverRecord(
            r["id"],
            r["iteration"],
            r["source"],
            r["parent_id"],
            r["meta_utility"],
            r["meta_utility_ci"],
            bool(r["chosen"]),
        )
        for r in store.query(
            "SELECT * FROM improvers WHERE run_id = ? ORDER BY iteration, id", (run_id,)
        )
    )
    calls = tuple(
        LMCallRecord(
            r["created_at"],
            r["model"],
            r["prompt_tokens"] or 0,
            r["completion_tokens"] or 0,
            r["cost_usd"] or 0.0,
            r["latency_s"] or 0.0,
            bool(r["cache_hit"]),
            r["error"],
        )
        for r in store.query(
            "SELECT created_at, model, prompt_tokens, completion_tokens, cost_usd, latency_s,"
            " cache_hit, error FROM lm_calls WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
    )
    events = tuple(
        EventRecord(r["kind"], store.decode(r["payload_json"]), r["created_at"])
        for r in store.query(
            "SELECT kind, payload_json, created_at FROM events WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
    )
    evaluations = tuple(
        EvaluationRecord(
            r["task"], r["utility"], r["source"], r["score"], r["status"], r["detail"] or ""
        )
        for r in store.query(
            "SELECT task, utility, source, score, status, detail FROM evaluations"
            " WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
    )
    return RunData(run, improvers, calls, events, evaluations)
