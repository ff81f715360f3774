"""The run store: versioned schema, short transactions, nothing half-written after a kill."""

import signal
import sqlite3
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


# -- a --db that is not (or not only) ours -----------------------------------------------------


def _foreign_db(path):
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('ada')")
    conn.close()
    return path


def test_someone_elses_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = _foreign_db(tmp_path / "contacts.sqlite")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a stop run store .*contacts.*left untouched"):
        Store(path)
    assert path.read_bytes() == before
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
        assert tables == ["contacts"]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_text_file_is_not_a_run_store(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n" * 100)
    with pytest.raises(StoreError, match="notes.txt is not an SQLite run store"):
        Store(path)
    assert path.read_text() == "just some notes\n" * 100


def test_a_corrupted_store_is_a_clear_error(tmp_path):
    path = tmp_path / "runs.db"
    store = Store(path)
    run_id = store.create_run("improve", {"text": "x" * 50_000})  # spans several pages
    store.close()
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page after the first is garbage
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupted|not an SQLite"):
        Store(path, read_only=True).get_run(run_id)


def test_a_read_only_open_writes_nothing(tmp_path):
    path = tmp_path / "runs.db"
    store = Store(path)
    run_id = store.create_run("improve", {"task": "lpn"})
    store.close()
    before = path.read_bytes()
    reader = Store(path, read_only=True)
    assert reader.get_run(run_id)["config"] == {"task": "lpn"}
    with pytest.raises(StoreError, match="read-only"):
        reader.create_run("improve", {})
    reader.close()
    assert path.read_bytes() == before


def test_a_read_only_open_of_a_missing_store_creates_nothing(tmp_path):
    with pytest.raises(StoreError, match="no run store at .*nothing has been run"):
        Store(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_a_directory_is_not_a_run_store(tmp_path):
    with pytest.raises(StoreError, match=str(tmp_path)):
        Store(tmp_path)


# -- text a model wrote -----------------------------------------------------------------------


def test_a_lone_surrogate_in_a_record_is_stored_as_the_replacement_character(tmp_path):
    store = Store(tmp_path / "runs.db")
    run_id = store.create_run("improve", {"note": "emoji cut \ud83d"})
    store.record_evaluation(run_id, "lpn", "visible", "x = '\ud800'", 0.5, "ok", "\udfff")
    store.record_event(run_id, "answer", {"text": "\ud83d half"})
    (row,) = store.query("SELECT source, detail FROM evaluations")
    assert (row["source"], row["detail"]) == ("x = '\ufffd'", "\ufffd")
    assert store.get_run(run_id)["config"] == {"note": "emoji cut \ufffd"}
    assert store.events(run_id)[0]["text"] == "\ufffd half"


def test_a_damaged_json_record_is_a_store_error(tmp_path):
    store = Store(tmp_path / "runs.db")
    run_id = store.create_run("improve", {})
    with store.transaction() as conn:
        conn.execute("UPDATE runs SET config_json = '{not json' WHERE id = ?", (run_id,))
    with pytest.raises(StoreError, match="damaged record"):
        store.get_run(run_id)


def test_a_foreign_database_with_its_own_schema_version_table_is_still_refused(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER)")
        conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.close()
    with pytest.raises(StoreError, match="not a stop run store"):
        Store(path)


def test_a_new_store_is_marked_as_a_run_store(tmp_path):
    Store(tmp_path / "runs.db").close()
    with sqlite3.connect(tmp_path / "runs.db") as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x53544F50
    conn.close()


def test_an_empty_file_becomes_a_run_store(tmp_path):
    (tmp_path / "runs.db").touch()
    assert Store(tmp_path / "runs.db").schema_version() == SCHEMA_VERSION
