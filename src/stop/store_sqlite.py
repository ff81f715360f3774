"""SQLite plumbing of the run store: connections that store any text, failures as one line.

Kept apart from `stop.store` (the schema and records) because it is about SQLite itself: what
its errors mean to a user, when a file or folder cannot be written, and making every bound
string encodable (SQLite refuses lone surrogates, which a model's broken emoji produces).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stop.errors import StoreError
from stop.render.jsonsafe import clean_text


def clean_params(params: Any) -> Any:
    if isinstance(params, dict):
        return {k: clean_text(v) if isinstance(v, str) else v for k, v in params.items()}
    return tuple(clean_text(v) if isinstance(v, str) else v for v in params)


class CleaningConnection(sqlite3.Connection):
    """A connection that makes every bound string encodable as UTF-8 (SQLite refuses lone
    surrogates, which a model's broken emoji produces)."""

    def execute(self, sql: str, params: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().execute(sql, clean_params(params))

    def executemany(self, sql: str, rows: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().executemany(sql, (clean_params(p) for p in rows))


def explain(path: Path, exc: sqlite3.Error) -> str:
    """One line saying what is wrong with the run store at `path` and what to do."""
    message = str(exc)
    if "not a database" in message:
        return (
            f"{path} is not an SQLite run store ({message}); pass --db with a run store or a new"
            " file name"
        )
    if "malformed" in message or "corrupt" in message:
        return f"run store {path} is corrupted ({message}); restore a backup or pass another --db"
    if "readonly" in message or "read-only" in message or read_only_place(path):
        return (
            f"run store {path} is read-only ({message}); commands that only read it (runs, show,"
            " report, compare, export) work, others need a writable --db"
        )
    if "locked" in message or "busy" in message:
        return f"run store {path} is busy ({message}): another stop is writing to it; retry"
    return f"run store {path} failed: {message}; pass another --db"


def read_only_place(path: Path) -> bool:
    """Whether the store or its folder cannot be written (a read-only mount stops even root)."""
    for place in (path, path.parent):
        try:
            if os.statvfs(place).f_flag & os.ST_RDONLY or not os.access(place, os.W_OK):
                return True
        except OSError:
            continue
    return False


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """SQLite failures as StoreError; programming errors (bad SQL, constraints) stay bugs."""
    try:
        yield
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise
    except sqlite3.Error as exc:
        raise StoreError(explain(path, exc)) from exc


def connect(target: str, uri: bool = True) -> sqlite3.Connection:
    return sqlite3.connect(
        target,
        uri=uri,
        check_same_thread=False,
        isolation_level=None,
        timeout=30,
        factory=CleaningConnection,
    )
