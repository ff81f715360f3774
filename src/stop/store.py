"""The run store: one SQLite file (WAL) holding everything a run did.

Every write is one short transaction, so a process killed mid-run loses at most the step it was
in; SQLite's journal guarantees nothing half-written survives. The schema grows by appending
numbered migrations to `MIGRATIONS`; never edit one that has shipped.

A `--db` may be anything: someone else's SQLite file, a text file, a corrupted or read-only
store. The file is checked to be a run store (or empty) before anything is written to it, so a
foreign database never gets our tables or a new journal mode; `Store(path, read_only=True)`
serves the commands that only read, on a file or a filesystem that cannot be written; every
SQLite failure reaches the user as a one-line `StoreError`. Text bound to a statement is made
encodable first (a lone surrogate from a model becomes U+FFFD), so no record is refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from stop.errors import StoreError
from stop.render.jsonsafe import clean_text
from stop.store_sqlite import connect, explain, translated

MIGRATIONS: list[str] = [
    # m001: runs and language-model calls
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        config_json TEXT NOT NULL,
        environment_json TEXT NOT NULL DEFAULT '{}',
        result_json TEXT,
        created_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE TABLE lm_calls (
        id INTEGER PRIMARY KEY,
        run_id TEXT,
        model TEXT NOT NULL,
        request_key TEXT NOT NULL,
        messages_json TEXT NOT NULL,
        temperature REAL NOT NULL,
        max_tokens INTEGER NOT NULL,
        sample_index INTEGER NOT NULL,
        text TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        latency_s REAL,
        cost_usd REAL,
        finish_reason TEXT,
        cache_hit INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX lm_calls_key ON lm_calls(request_key);
    CREATE INDEX lm_calls_run ON lm_calls(run_id);
    """,
    # m002: events (sandbox violations, budget violations, failures), improvers, evaluations,
    # and completed steps (what makes a killed run resumable)
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        run_id TEXT,
        kind TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX events_run ON events(run_id, kind);
    CREATE TABLE improvers (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        iteration INTEGER NOT NULL,
        source TEXT NOT NULL,
        parent_id INTEGER,
        meta_utility REAL,
        meta_utility_ci REAL,
        chosen INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE INDEX improvers_run ON improvers(run_id, iteration);
    CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        run_id TEXT,
        task TEXT NOT NULL,
        utility TEXT NOT NULL,
        source TEXT NOT NULL,
        score REAL NOT NULL,
        status TEXT NOT NULL,
        detail TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX evaluations_run ON evaluations(run_id);
    CREATE TABLE steps (
        run_id TEXT NOT NULL,
        step_key TEXT NOT NULL,
        result_json TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (run_id, step_key)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
APPLICATION_ID = 0x53544F50  # "STOP" in the SQLite header: marks a file as a run store


def default_home() -> Path:
    """`$STOP_HOME`, or `~/.cache/stop`: where models and the default run store live."""
    return Path(os.environ.get("STOP_HOME") or Path.home() / ".cache" / "stop")


def default_db_path() -> Path:
    return default_home() / "runs.db"


class Store:
    """A thread-safe handle on one run store. One writer connection per process.

    `read_only=True` opens an existing store without writing anything (not even the journal
    mode), so `stop show` works on a store the user may not or cannot write."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.read_only = read_only
        self._lock = threading.RLock()
        try:
            self._conn = self._open()
        except OSError as exc:
            raise StoreError(f"cannot open run store {self.path}: {exc}; pass --db PATH") from exc
        except sqlite3.Error as exc:
            raise StoreError(explain(self.path, exc)) from exc
        try:
            with translated(self.path):
                self._check_ours()
                if read_only:
                    self._check_readable_version()
                else:
                    self._conn.execute("PRAGMA journal_mode=WAL")
                    self._conn.execute("PRAGMA synchronous=NORMAL")
                    self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory; pass --db with a run store file")
        if self.read_only:
            if not self.path.is_file():
                raise StoreError(
                    f"no run store at {self.path}: nothing has been run with this --db yet"
                )
            conn = self._open_read_only()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = connect(str(self.path), uri=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        conn = connect(uri)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            # A WAL store in a directory we cannot write: SQLite cannot create the shared-memory
            # file it reads through. With no pending WAL the file alone is the whole store, so
            # it can be read as immutable; with one, reading it so would miss committed runs.
            conn.close()
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise StoreError(
                    f"run store {self.path} is read-only and its latest writes are still in "
                    f"{wal.name}; open it once where it can be written, or copy the folder"
                ) from None
            return connect(uri + "&immutable=1")

    # -- schema -----------------------------------------------------------------------------
    def _check_ours(self) -> None:
        """Refuse any database that is neither empty nor a run store, before writing to it."""
        tables = {
            r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        # Ours: marked with our application id, or (a store from before the mark) holding our
        # version and runs tables; a foreign file with its own `schema_version` is not enough.
        ours = app_id == APPLICATION_ID or (app_id == 0 and {"schema_version", "runs"} <= tables)
        if (tables and not ours) or app_id not in (0, APPLICATION_ID):
            shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
            raise StoreError(
                f"{self.path} is an SQLite database but not a stop run store (tables: "
                f"{shown or 'none'}); it was left untouched: pass --db with a run store or a "
                "new file name"
            )

    def _check_readable_version(self) -> None:
        version = self._version()
        if version == 0:
            raise StoreError(f"{self.path} holds no runs yet (an empty store)")
        if version != SCHEMA_VERSION:
            newer = "newer" if version > SCHEMA_VERSION else "older"
            raise StoreError(
                f"{self.path} has schema v{version}, {newer} than this stop (v{SCHEMA_VERSION});"
                + (
                    " upgrade stop or use another --db"
                    if newer == "newer"
                    else " a command that writes (e.g. stop improve) upgrades it"
                )
            )

    def _version(self) -> int:
        tables = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchall()
        if not tables:
            return 0
        return self._conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version"
        ).fetchone()[0]

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " applied_at REAL NOT NULL)"
            )
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            version = current.fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema v{version}, newer than this stop (v{SCHEMA_VERSION});"
                    " upgrade stop or use another --db"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number - 1].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO schema_version VALUES (?, ?)", (number, time.time()))

    def schema_version(self) -> int:
        with self._lock, translated(self.path):
            return self._version()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; rolled back whole if anything inside raises."""
        with self._lock, translated(self.path):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._lock, translated(self.path):
            return self._conn.execute(sql, params).fetchall()

    def decode(self, text: str | bytes) -> Any:
        """A JSON column's value; StoreError (not a traceback) when a record is damaged."""
        try:
            return json.loads(text)
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"run store {self.path} holds a damaged record ({exc}); restore a backup or pass"
                " another --db"
            ) from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- runs -------------------------------------------------------------------------------
    def create_run(
        self, kind: str, config: dict[str, Any], environment: dict[str, Any] | None = None
    ) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (id, kind, status, config_json, environment_json, created_at)"
                " VALUES (?, ?, 'running', ?, ?, ?)",
                (run_id, kind, _dumps(config), _dumps(environment or {}), time.time()),
            )
        return run_id

    def finish_run(self, run_id: str, status: str, result: dict[str, Any] | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, result_json = ?, finished_at = ? WHERE id = ?",
                (status, _dumps(result) if result is not None else None, time.time(), run_id),
            )

    def get_run(self, run_id: str) -> dict[str, Any]:
        rows = self.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"no run {run_id!r} in {self.path}; `stop runs` lists the runs")
        row = dict(rows[0])
        row["config"] = self.decode(row.pop("config_json"))
        row["environment"] = self.decode(row.pop("environment_json"))
        result = row.pop("result_json")
        row["result"] = self.decode(result) if result else None
        return row

    def list_runs(self) -> list[dict[str, Any]]:
        rows = self.query("SELECT id, kind, status, created_at FROM runs ORDER BY created_at")
        return [dict(r) for r in rows]

    # -- events and resumable steps ---------------------------------------------------------
    def record_event(self, run_id: str | None, kind: str, payload: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO events (run_id, kind, payload_json, created_at) VALUES (?, ?, ?, ?)",
                (run_id, kind, _dumps(payload), time.time()),
            )

    def events(self, run_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT kind, payload_json, created_at FROM events WHERE run_id = ?"
        params: tuple = (run_id,)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        rows = self.query(sql + " ORDER BY id", params)
        return [{"kind": r["kind"], **self.decode(r["payload_json"])} for r in rows]

    def step_result(self, run_id: str, step_key: str) -> Any | None:
        """The stored result of a completed step, or None if it has not completed."""
        rows = self.query(
            "SELECT result_json FROM steps WHERE run_id = ? AND step_key = ?", (run_id, step_key)
        )
        return self.decode(rows[0][0]) if rows else None

    def complete_step(self, run_id: str, step_key: str, result: Any) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?)",
                (run_id, step_key, _dumps(result), time.time()),
            )

    # -- evaluations ------------------------------------------------------------------------
    def record_evaluation(
        self,
        run_id: str | None,
        task: str,
        utility: str,
        source: str,
        score: float,
        status: str,
        detail: str = "",
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO evaluations (run_id, task, utility, source, score, status, detail,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, task, utility, source, score, status, detail, time.time()),
            )


def _dumps(value: Any) -> str:
    # ensure_ascii keeps the JSON column pure ASCII; the connection cleans lone surrogates
    # only in plain text, so JSON escapes of them (\ud800) are cleaned here.
    return json.dumps(_clean_json(value), sort_keys=True, default=str)


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value
