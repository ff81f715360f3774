"""`stop export`: every record of a run, as JSON lines or as one CSV file per table."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

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
        out[table] = [_decode(dict(r)) for r in rows]
    return out


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in [k for k in row if k.endswith("_json")]:
        value = row.pop(key)
        row[key[: -len("_json")]] = json.loads(value) if value else None
    return row


def export_jsonl(store: Store, run_id: str, path: str | Path) -> int:
    """One JSON object per record, `{"table": ..., **row}`; returns the number of records."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for table, rows in records(store, run_id).items():
            for row in rows:
                out.write(json.dumps({"table": table, **row}, default=str, ensure_ascii=False))
                out.write("\n")
                count += 1
    return count


def export_csv(store: Store, run_id: str, directory: str | Path) -> int:
    """One CSV per table in `directory` (nested values as JSON text); returns records written."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for table, rows in records(store, run_id).items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
                count += 1
    return count


def _cell(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, dict | list) else value
