"""The run store: versioned schema, short transactions, nothing half-written after a kill."""

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from stop.errors import StoreError
from stop.store import SCHEMA_VERSION, Store


def test_new_store_is_at_the_latest_schema_version(tmp_path):
    store = Store(tmp_path / "runs.db")
    assert store.schema_version() == SCHEMA_VERSION


def test_reopening_a_store_keeps_its_data_and_version(tmp_path):
    run_id = Store(tmp_path / "runs.db").create_run("improve", {"task": "lpn"})
    reopened = Store(tmp_path / "runs.db")
    assert reopened.schema_version() == SCHEMA_VERSION
    assert reopened.get_run(run_id)["config"] == {"task": "lpn"}


def test_a_store_from_a_newer_stop_is_refused(tmp_path):
    store = Store(tmp_path / "runs.db")
    with store.transaction() as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 0)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer than this stop"):
        Store(tmp_path / "runs.db")


def test_unknown_run_names_the_command_that_lists_runs(tmp_path):
    with pytest.raises(StoreError, match="`stop runs` lists"):
        Store(tmp_path / "runs.db").get_run("nope")


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    store = Store(tmp_path / "runs.db")
    run_id = store.create_run("improve", {})
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute(
            "INSERT INTO events (run_id, kind, payload_json, created_at) VALUES (?, 'x', '{}', 0)",
            (run_id,),
        )
        raise RuntimeError("crash mid-step")
    assert store.events(run_id) == []


def test_completed_steps_are_returned_on_resume(tmp_path):
    store = Store(tmp_path / "runs.db")
    run_id = store.create_run("self-improve", {})
    assert store.step_result(run_id, "iteration-1") is None
    store.complete_step(run_id, "iteration-1", {"meta_utility": 0.6})
    assert Store(tmp_path / "runs.db").step_result(run_id, "iteration-1") == {"meta_utility": 0.6}


def test_a_writer_killed_mid_write_leaves_a_consistent_store(tmp_path):
    db = tmp_path / "runs.db"
    writer = textwrap.dedent(
        f"""
        from stop.store import Store
        store = Store({str(db)!r})
        run_id = store.create_run("improve", {{}})
        print(run_id, flush=True)
        i = 0
        while True:
            with store.transaction() as conn:
                # two rows per transaction: a kill must never leave just one of them
                for half in ("a", "b"):
                    conn.execute(
                        "INSERT INTO events (run_id, kind, payload_json, created_at)"
                        " VALUES (?, ?, '{{}}', ?)", (run_id, half, i))
            i += 1
        """
    )
    process = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    run_id = process.stdout.readline().strip()
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    store = Store(db)
    assert store.query("PRAGMA integrity_check")[0][0] == "ok"
    kinds = [e["kind"] for e in store.events(run_id)]
    assert len(kinds) > 0
    assert kinds.count("a") == kinds.count("b")
