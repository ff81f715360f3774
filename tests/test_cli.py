"""The command line: user errors are one clear line and a non-zero exit, never a traceback."""

import subprocess
import sys

import pytest

from stop.store import Store


def stop(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from stop.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True)


def test_help_lists_the_main_commands():
    result = stop("--help")
    assert result.returncode == 0
    for command in ("self-improve", "improve", "transfer", "resume", "report", "models"):
        assert command in result.stdout


def test_a_user_error_is_one_line_without_a_traceback(tmp_path):
    Store(tmp_path / "runs.db").close()
    result = stop("show", "no-such-run", "--db", str(tmp_path / "runs.db"))
    assert result.returncode == 1
    assert "error:" in result.stderr and "stop runs" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = stop("--debug", "show", "no-such-run", "--db", str(tmp_path / "runs.db"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_a_malformed_task_file_is_a_clear_error(tmp_path):
    task = tmp_path / "task.py"
    task.write_text("SEED = 'def f(): pass'\n")  # no DESCRIPTION, no utility
    result = stop("improve", str(task), "--model", "scripted", "--db", str(tmp_path / "r.db"))
    assert result.returncode == 1
    assert "DESCRIPTION" in result.stderr or "utility" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unexpected_exception_is_one_line_asking_for_a_bug_report(monkeypatch, capsys):
    from stop import cli

    def broken() -> None:
        raise RuntimeError("boom [/x]")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.setattr(sys, "argv", ["stop", "runs"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 70
    err = capsys.readouterr().err
    assert err.startswith("internal error: RuntimeError: boom [/x]") and "--debug" in err
    assert "Traceback" not in err


def test_improve_runs_best_first_unless_another_improver_is_named(tmp_path):
    db = tmp_path / "r.db"
    ran = stop("improve", "parity", "--model", "scripted", "--preset", "demo", "--db", str(db))
    assert ran.returncode == 0, ran.stderr
    store = Store(db, read_only=True)
    (run,) = store.list_runs()
    assert store.get_run(run["id"])["config"]["extra"]["improver"] == "best_first"
