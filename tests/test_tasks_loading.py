"""User task files and the `stop tasks` commands (OpenEvolve folders: test_openevolve_folders)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stop.errors import TaskError
from stop.tasks import load_task
from stop.tasks.commands import app

USER_TASK = """
SEED = "def algorithm(x):\\n    return x\\n"
DESCRIPTION = "Return a number close to 3."
received = []

def utility(solution_source):
    received.append(solution_source)
    return 1.0 if "3" in solution_source else 0.25
"""


def _write(tmp_path: Path, text: str, name: str = "task.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_user_task_file_loads_with_its_seed_and_description(tmp_path: Path) -> None:
    task = load_task(str(_write(tmp_path, USER_TASK)))
    assert task.name == "task" and task.entry_point == "algorithm"
    assert task.signature == "algorithm(x)" and "Return a number" in task.description
    assert "def utility" in task.visible_text


def test_user_utility_receives_only_the_source_and_is_clipped(tmp_path: Path) -> None:
    task = load_task(str(_write(tmp_path, USER_TASK)))
    assert task.score(task.seed_solution).value == 0.25
    assert task.score("def algorithm(x):\n    return 3\n").value == 1.0


def test_user_utility_named_evaluate_is_accepted(tmp_path: Path) -> None:
    text = USER_TASK.replace("def utility", "def evaluate")
    assert load_task(str(_write(tmp_path, text))).score("x = 3").value == 1.0


def test_user_utility_that_raises_scores_zero_as_evaluator_error(tmp_path: Path) -> None:
    text = USER_TASK.replace("received.append(solution_source)", "raise ValueError('bad')")
    score = load_task(str(_write(tmp_path, text))).score("x = 1")
    assert score.value == 0.0 and score.status == "evaluator_error" and "bad" in score.detail


def test_missing_task_file_names_the_accepted_forms(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="not found.*built-in task name"):
        load_task(str(tmp_path / "nope.py"))


def test_task_file_with_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="syntax error on line 2"):
        load_task(str(_write(tmp_path, "SEED = 'x'\ndef broken(:\n")))


@pytest.mark.parametrize("missing", ["SEED", "DESCRIPTION", "utility"])
def test_task_file_missing_a_name_says_which_and_shows_an_example(
    tmp_path: Path, missing: str
) -> None:
    lines = [line for line in USER_TASK.splitlines() if not line.startswith(missing)]
    text = "\n".join(lines).replace(
        "def utility", "def _utility" if missing == "utility" else "def utility"
    )
    with pytest.raises(TaskError, match=f"missing {missing}") as info:
        load_task(str(_write(tmp_path, text)))
    assert "SEED = " in str(info.value) and "def utility" in str(info.value)


def test_unknown_spec_that_is_not_a_path_lists_builtins() -> None:
    with pytest.raises(TaskError, match="built-in tasks are lpn"):
        load_task("no_such_task")


def test_cli_lists_the_builtin_tasks() -> None:
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0
    for name in ["lpn", "parity", "three_sat", "max_cut"]:
        assert name in result.output


def test_cli_show_prints_signature_text_and_seed() -> None:
    result = CliRunner().invoke(app, ["show", "string_grid_distance"])
    assert result.exit_code == 0
    assert "algorithm(t: str, dist: int)" in result.output and "return t" in result.output


def test_cli_score_prints_the_value(tmp_path: Path) -> None:
    solution = _write(tmp_path, "def algorithm(t, dist):\n    return t\n", "solution.py")
    result = CliRunner().invoke(
        app, ["score", "string_grid_distance", str(solution), "--seed", "1"]
    )
    assert result.exit_code == 0 and "[ok]" in result.output
