"""Every command, handed what an attacker or a careless user would hand it: untrusted text comes
out inert, and each bad input is one line naming the file, key or fix — never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stop.experiment.recorder import RunRecorder
from stop.store import Store

ESC = "\x1b]0;pwned\x07\x1b[2J"  # sets the window title, clears the screen
RAW_CONTROLS = ("\x1b]0;", "\x07", "\x1b[2J", "\x1b]8;")


@dataclass
class Result:
    code: int
    out: str
    err: str


def stop(*args: str, check_clean: bool = True) -> Result:
    """`stop ARGS` in a fresh process (what a user's terminal receives), color off."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}
    command = [sys.executable, "-c", "from stop.cli import main; main()", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    result = Result(done.returncode, done.stdout, done.stderr)
    if check_clean:  # stop's own tracebacks go to stderr; a candidate's may be data on stdout
        assert "Traceback" not in result.err and "internal error" not in result.err, result.err
        both = result.out + result.err
        assert not any(c in both for c in RAW_CONTROLS), both
    return result


def one_error_line(result: Result) -> str:
    assert result.code == 1, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    return lines[0]


# -- untrusted text reaches the terminal inert ------------------------------------------------


def test_an_lm_answer_with_escape_sequences_is_printed_spelt_out(tmp_path):
    result = stop(
        "lm",
        "ask",
        f"say {ESC}[link=http://e.example]hi[/link]",
        "--model",
        "scripted",
        "--db",
        str(tmp_path / "r.db"),
    )
    assert result.code == 0
    assert "\\x1b]0;pwned\\x07" in result.out and "[link=http://e.example]hi[/link]" in result.out


def test_a_candidates_exception_text_is_printed_spelt_out(tmp_path):
    solution = tmp_path / "solution.py"
    solution.write_text(
        "def algorithm(train_samples, train_parity, test_samples):\n"
        f"    raise ValueError({ESC!r} + '[/x]')\n"
    )
    result = stop("tasks", "score", "lpn", str(solution), "--repeats", "1")
    assert result.code == 0 and "[/x]" in result.out and "\\x1b]0;pwned" in result.out


def _openevolve_folder(parent: Path, name: str, readme: str = "") -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "initial_program.py").write_text(
        "# EVOLVE-BLOCK-START\ndef f():\n    return 1\n# EVOLVE-BLOCK-END\n"
    )
    (folder / "evaluator.py").write_text("def evaluate(path):\n    return {'combined_score': 1}\n")
    if readme:
        (folder / "README.md").write_text(readme)
    return folder


def test_a_task_folder_name_with_escape_sequences_is_printed_spelt_out(tmp_path):
    folder = _openevolve_folder(tmp_path, f"task{ESC}")
    result = stop("tasks", "show", str(folder))
    assert result.code == 0 and "task\\x1b]0;pwned\\x07" in result.out


def test_rich_markup_in_a_readme_is_shown_as_written(tmp_path):
    readme = "# T\n\nSee [link=http://evil.example]the docs[/link] and [/x] :warning:.\n"
    folder = _openevolve_folder(tmp_path, "task", readme)
    result = stop("tasks", "show", str(folder))
    assert result.code == 0
    assert "See [link=http://evil.example]the docs[/link] and [/x] :warning:." in result.out


def test_markup_in_a_run_id_is_part_of_a_one_line_error(tmp_path):
    Store(tmp_path / "r.db").close()
    line = one_error_line(stop("show", "run[/x][bold]", "--db", str(tmp_path / "r.db")))
    assert "run[/x][bold]" in line


# -- bad files: one line naming the file ------------------------------------------------------

LATIN1 = b"# caf\xe9\n"


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["tasks", "show", "{f}"], "task file"),
        (["tasks", "score", "lpn", "{f}"], "solution file"),
        (
            ["improve", "lpn", "--improver", "{f}", "--model", "scripted", "--db", "{db}"],
            "improver",
        ),
        (["improve", "lpn", "--config", "{f}", "--model", "scripted", "--db", "{db}"], "config"),
    ],
)
def test_a_non_utf8_file_is_one_line_naming_it(tmp_path, args, name):
    path = tmp_path / "latin1.py"
    path.write_bytes(LATIN1)
    args = [a.format(f=path, db=tmp_path / "r.db") for a in args]
    line = one_error_line(stop(*args))
    assert name in line and "latin1.py is not UTF-8 (byte 5, line 1)" in line


def test_iterations_inf_in_a_toml_file_is_one_line_naming_the_file(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("iterations = inf\n")
    line = one_error_line(
        stop(
            "self-improve",
            "--config",
            str(config),
            "--model",
            "scripted",
            "--db",
            str(tmp_path / "r.db"),
        )
    )
    assert "'iterations'" in line and "c.toml" in line


@pytest.mark.parametrize(
    "override",
    [
        "improver_wall_seconds=-1",
        "utility_budget=-3",
        "improver_cpu_seconds=inf",
        "max_tokens=-1",
        "temperature=nan",
    ],
)
def test_a_nonsense_config_never_starts_a_run(tmp_path, override):
    db = tmp_path / "r.db"
    line = one_error_line(
        stop("improve", "lpn", "--model", "scripted", "--set", override, "--db", str(db))
    )
    assert override.split("=")[0] in line
    if db.exists():
        assert Store(db, read_only=True).list_runs() == []


def test_lm_ask_refuses_a_nan_temperature(tmp_path):
    line = one_error_line(
        stop(
            "lm",
            "ask",
            "hi",
            "--model",
            "scripted",
            "--temperature",
            "nan",
            "--db",
            str(tmp_path / "r.db"),
        )
    )
    assert "'temperature'" in line


# -- run stores ---------------------------------------------------------------------------


def _finished_run(db: Path, source: str = "x = 1\n") -> str:
    store = Store(db)
    run_id = store.create_run("improve", {"model": "scripted", "task": "lpn", "t": float("nan")})
    RunRecorder(store, run_id).evaluation("lpn", "visible", source, 0.5, "ok", "\ud800 detail")
    store.finish_run(run_id, "finished", {"score": 0.5, "seed_score": 0.4, "status": "ok"})
    store.close()
    return run_id


@pytest.mark.parametrize("command", [["runs"], ["show", "x"], ["export", "x"], ["report", "x"]])
def test_a_text_file_as_db_is_one_line(tmp_path, command):
    db = tmp_path / "notes.txt"
    db.write_text("not a database\n" * 200)
    line = one_error_line(stop(*command, "--db", str(db)))
    assert "notes.txt is not an SQLite run store" in line
    assert db.read_text() == "not a database\n" * 200


def test_someone_elses_sqlite_file_gets_no_tables_and_keeps_its_journal_mode(tmp_path):
    db = tmp_path / "app.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    conn.close()
    for command in (["runs"], ["improve", "lpn", "--model", "scripted"]):
        line = one_error_line(stop(*command, "--db", str(db)))
        assert "not a stop run store" in line
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["users"]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_corrupted_store_is_one_line(tmp_path):
    db = tmp_path / "r.db"
    run_id = _finished_run(db, source="x" * 100_000)
    data = bytearray(db.read_bytes())
    data[8192:] = b"\x5a" * (len(data) - 8192)
    db.write_bytes(bytes(data))
    line = one_error_line(stop("export", run_id, "--db", str(db), "-o", str(tmp_path / "o")))
    assert "corrupted" in line or "not an SQLite run store" in line


def _read_only_stop(folder: Path, *args: str) -> Result:
    """`stop ARGS` with `folder` read-only: chmod for a normal user; for root (whom permissions
    do not stop) a read-only bind mount in a private mount namespace."""
    if os.geteuid() != 0:
        for path in [folder, *folder.iterdir()]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        return stop(*args)
    if not shutil.which("unshare"):
        pytest.skip("needs unshare to make a read-only filesystem as root")
    script = f'mount --bind "{folder}" "{folder}" && mount -o remount,ro,bind "{folder}" && "$@"'
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("mount namespaces are not available here")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    command = [
        "unshare",
        "--mount",
        "sh",
        "-c",
        script,
        "sh",
        sys.executable,
        "-c",
        "from stop.cli import main; main()",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def test_read_only_commands_work_on_a_read_only_store(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    run_id = _finished_run(folder / "runs.db")
    out = tmp_path / "out"
    out.mkdir()
    db = str(folder / "runs.db")
    assert _read_only_stop(folder, "runs", "--db", db).code == 0
    shown = _read_only_stop(folder, "show", run_id, "--db", db)
    assert shown.code == 0 and "seed solution 0.400 → returned 0.500" in shown.out
    assert (
        _read_only_stop(folder, "export", run_id, "--db", db, "-o", str(out / "r.jsonl")).code == 0
    )
    assert (
        _read_only_stop(folder, "report", run_id, "--db", db, "-o", str(out / "r.html")).code == 0
    )
    written = _read_only_stop(folder, "improve", "lpn", "--model", "scripted", "--db", db)
    assert written.code == 1 and "read-only" in written.err and "Traceback" not in written.err


# -- exports ------------------------------------------------------------------------------


def test_a_formula_solution_is_exported_to_csv_as_text(tmp_path):
    db = tmp_path / "r.db"
    run_id = _finished_run(db, source='=HYPERLINK("http://evil.example","click")')
    assert (
        stop("export", run_id, "--format", "csv", "--db", str(db), "-o", str(tmp_path / "c")).code
        == 0
    )
    text = (tmp_path / "c" / "evaluations.csv").read_text()
    assert "'=HYPERLINK(" in text and ",=HYPERLINK(" not in text


def test_nan_and_lone_surrogates_export_as_strict_json(tmp_path):
    db = tmp_path / "r.db"
    run_id = _finished_run(db)
    out = tmp_path / "r.jsonl"
    assert stop("export", run_id, "--db", str(db), "-o", str(out)).code == 0

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    records = [json.loads(line, parse_constant=refuse) for line in out.read_text().splitlines()]
    (run,) = [r for r in records if r["table"] == "runs"]
    assert run["config"]["t"] is None
    (evaluation,) = [r for r in records if r["table"] == "evaluations"]
    assert evaluation["detail"] == "\ufffd detail"


def test_show_json_is_strict_json(tmp_path):
    db = tmp_path / "r.db"
    run_id = _finished_run(db)
    result = stop("show", run_id, "--json", "--db", str(db))
    assert json.loads(result.out, parse_constant=lambda c: 1 / 0)["config"]["t"] is None


def test_a_report_output_that_is_a_directory_is_one_line(tmp_path):
    db = tmp_path / "r.db"
    run_id = _finished_run(db)
    line = one_error_line(stop("report", run_id, "--db", str(db), "-o", str(tmp_path)))
    assert "cannot write the report" in line


def test_a_directory_as_db_is_one_line(tmp_path):
    assert f"{tmp_path} is a directory" in one_error_line(stop("runs", "--db", str(tmp_path)))


# -- whole runs -------------------------------------------------------------------------------


def test_default_transfer_then_report_writes_the_report(tmp_path):
    db = str(tmp_path / "r.db")
    ran = stop(
        "transfer",
        "--model",
        "scripted",
        "--preset",
        "demo",
        "--tasks",
        "parity",
        "--seeds",
        "1",
        "--db",
        db,
    )
    assert ran.code == 0, ran.err
    (run,) = Store(db, read_only=True).list_runs()
    out = tmp_path / "report.html"
    assert stop("report", run["id"], "--db", db, "-o", str(out)).code == 0
    assert "<th>seed</th>" in out.read_text()  # the default improver is called "seed"


def test_an_improver_returning_a_lone_surrogate_does_not_crash_improve(tmp_path):
    improver = tmp_path / "improver.py"
    improver.write_text(
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    return initial_solution + '# ' + chr(0xD83D) + '\\n'\n"
    )
    db = str(tmp_path / "r.db")
    ran = stop(
        "improve",
        "lpn",
        "--improver",
        str(improver),
        "--model",
        "scripted",
        "--preset",
        "demo",
        "--db",
        db,
    )
    assert ran.code == 0, ran.err
    sources = [
        r["source"] for r in Store(db, read_only=True).query("SELECT source FROM evaluations")
    ]
    assert any("# \ufffd" in s for s in sources)
    exported = tmp_path / "r.jsonl"
    (run,) = Store(db, read_only=True).list_runs()
    assert stop("export", run["id"], "--db", db, "-o", str(exported)).code == 0
    exported.read_text(encoding="utf-8")


def test_markup_and_escapes_in_an_lm_servers_error_body_are_one_inert_line(tmp_path):
    import http.server
    import threading

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = json.dumps(
                {"error": {"message": f"bad [/x] request{ESC} [link=http://e.example]x"}}
            )
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1#m"
        line = one_error_line(
            stop(
                "lm",
                "ask",
                "hi",
                "--model",
                f"openai-compatible:{url}",
                "--no-cache",
                "--db",
                str(tmp_path / "r.db"),
            )
        )
    finally:
        server.shutdown()
    assert "[/x]" in line and "\\x1b]0;pwned" in line


def test_a_fifo_as_a_task_file_is_one_line_without_waiting(tmp_path):
    fifo = tmp_path / "task.py"
    os.mkfifo(fifo)
    assert "is not a regular file" in one_error_line(stop("tasks", "show", str(fifo)))
