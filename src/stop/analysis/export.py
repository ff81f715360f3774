"""`stop export`: every record of a run, as JSON lines or as one CSV file per table.

What a model wrote is in these records, so JSON goes through `stop.render.jsonsafe` (strict:
no NaN, no lone surrogates) and CSV cells through `stop.render.tabular` (no live formulas).
Each file is written beside its destination and renamed into place, so a failure never leaves
a partial export that looks complete.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from stop.errors import StopError
from stop.render import jsonsafe
from stop.render.tabular import csv_cell
from stop.store import Store

# table -> the column that ties a row to a run (the `runs` table: its id)
TABLES = {
    "runs": "id",
    "improvers": "run_id",
    "evaluations": "run_id",
    "lm_calls": "run_id",
    "events": "run_id",
    "steps": "run_id",
}


def records(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """Table -> every row of the run, in insertion order (JSON columns decoded)."""
    store.get_run(run_id)  # a clear error for an unknown run
    out: dict[str, list[dict[str, Any]]] = {}
    for table, column in TABLES.items():
        order = "created_at" if table == "steps" else "rowid"
        rows = store.query(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY {order}", (run_id,))
        out[table] = [_decode(store, dict(r)) for r in rows]
    return out


def _decode(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    for key in [k for k in row if k.endswith("_json")]:
        value = row.pop(key)
        row[key[: -len("_json")]] = store.decode(value) if value else None
    return row


@contextmanager
def _atomic(path: Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A text file that appears at `path` only once it is completely written."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline=newline) as out:
            yield out
        os.replace(partial, path)
    except OSError as exc:
        raise StopError(f"cannot write {path}: {exc.strerror or exc}; pass another -o") from exc
    finally:
        partial.unlink(missing_ok=True)


def export_jsonl(store: Store, run_id: str, path: str | Path) -> int:
    """One JSON object per record, `{"table": ..., **row}`; returns the number of records."""
    data = records(store, run_id)
    count = 0
    with _atomic(Path(path)) as out:
        for table, rows in data.items():
            for row in rows:
                out.write(jsonsafe.dumps({"table": table, **row}))
                out.write("\n")
                count += 1
    return count


def export_csv(store: Store, run_id: str, directory: str | Path) -> int:
    """One CSV per table in `directory` (nested values as JSON text); returns records written."""
    data = records(store, run_id)
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StopError(f"cannot create {folder}: {exc.strerror or exc}; pass another -o") from exc
    count = 0
    for table, rows in data.items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with _atomic(folder / f"{table}.csv", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: csv_cell(v) for k, v in row.items()})
                count += 1
    return count
