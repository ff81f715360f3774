"""OpenEvolve-format folders, as users have them: each feature an OpenEvolve evaluator uses
scores in `stop` what the evaluator itself gives, in the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stop.errors import TaskError
from stop.tasks import load_task
from stop.tasks.openevolve import split_program
from stop.tasks.openevolve_scoring import SHIM_DIR, fitness, passes

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

PROGRAM = """\
import math

# EVOLVE-BLOCK-START
def value():
    return 2.0
# EVOLVE-BLOCK-END

def run():
    return value()
"""


def folder(tmp_path: Path, evaluator: str, config: str | None = None, **files: str) -> Path:
    """A task folder with PROGRAM, the given evaluator and, optionally, config.yaml."""
    root = tmp_path / "task"
    root.mkdir()
    (root / "initial_program.py").write_text(files.pop("initial_program", PROGRAM))
    (root / "evaluator.py").write_text(textwrap.dedent(evaluator))
    if config is not None:
        (root / "config.yaml").write_text(textwrap.dedent(config))
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


LOAD = """
import importlib.util

def load(path):
    spec = importlib.util.spec_from_file_location("program", path)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    return program
"""


# --- the program and its EVOLVE block ------------------------------------------------------


def test_evolve_block_split_and_reattach_round_trip() -> None:
    text = (EXAMPLES / "circle_packing" / "initial_program.py").read_text()
    program = split_program(text)
    assert "def construct_packing" in program.block and "def run_packing" in program.tail
    assert program.attach(program.block) == text
    assert program.attach(text) == text


def test_a_whole_programs_edits_outside_the_block_are_dropped() -> None:
    task = load_task(str(EXAMPLES / "circle_packing"))
    full = (EXAMPLES / "circle_packing" / "initial_program.py").read_text()
    score = task.score(full.replace("N_CIRCLES = 12", "N_CIRCLES = 2"))  # would break validity
    assert score.value == 1.5 and "edits outside the EVOLVE block were dropped" in score.detail
    assert "dropped" not in task.score(full).detail


def test_a_reply_cut_off_inside_its_block_scores_zero_instead_of_failing() -> None:
    task = load_task(str(EXAMPLES / "circle_packing"))
    full = (EXAMPLES / "circle_packing" / "initial_program.py").read_text()
    score = task.score(full.split("# EVOLVE-BLOCK-END")[0])
    assert score.value == 0.0 and not score.ok


# --- fitness, as OpenEvolve computes it ------------------------------------------------------


def test_fitness_is_the_raw_combined_score_else_the_mean_of_numbers() -> None:
    assert fitness({"combined_score": 1.37, "other": 0.0}) == 1.37
    assert fitness({"combined_score": -4.0}) == -4.0
    assert fitness({"a": 0.2, "b": 0.6, "note": "text", "timeout": True}) == pytest.approx(0.4)
    assert fitness({"a": 0.2, "complexity": 90.0}, ("complexity",)) == pytest.approx(0.2)
    assert fitness({"note": "only text"}) is None


def test_cascade_gate_uses_combined_score_else_the_mean_without_error() -> None:
    assert passes({"combined_score": 0.6, "x": 0.0}, 0.5)
    assert not passes({"runs": 1.0, "value": 0.0}, 0.75)
    assert passes({"runs": 1.0, "value": 0.6, "error": 0.0}, 0.75)
    assert not passes({}, 0.0)


# --- the example folders ------------------------------------------------------------------


def test_circle_packing_example_scores_its_raw_sum_of_radii_above_one() -> None:
    task = load_task(str(EXAMPLES / "circle_packing"))
    score = task.score(task.seed_solution)
    assert score.ok and score.value == pytest.approx(1.5)
    assert task.scale is None and "any real number" in task.visible_text


def test_circle_packing_better_packing_scores_higher_and_overlap_scores_zero() -> None:
    task = load_task(str(EXAMPLES / "circle_packing"))
    # A 3 x 3 grid of radius 1/6 (sum 1.5) plus 3 circles in the gaps between its circles.
    gaps = "\n".join(
        [
            "def construct_packing(n):",
            "    import numpy as np",
            "    grid = [[(i + 0.5) / 3, (j + 0.5) / 3, 1 / 6]",
            "            for i in range(3) for j in range(3)]",
            "    gap = 2 ** 0.5 / 6 - 1 / 6 - 1e-6",
            "    extra = [[1 / 3, 1 / 3, gap], [2 / 3, 1 / 3, gap], [1 / 3, 2 / 3, gap]]",
            "    circles = np.array(grid + extra)",
            "    return circles[:, :2], circles[:, 2]",
        ]
    )
    better = task.score(gaps)
    assert better.ok and better.value > 1.7
    overlapping = task.score(gaps.replace("gap = 2", "gap = 3"))
    assert overlapping.value == 0.0 and "overlap" in overlapping.detail


def test_function_minimization_example_runs_its_cascade_and_averages_repeats() -> None:
    task = load_task(str(EXAMPLES / "function_minimization"))
    score = task.score(task.seed_solution, split="test")
    assert score.ok and 0.5 < score.value < 1.0
    assert score.instances == 3 and "mean of 3 evaluations" in score.detail
    assert "runs_successfully=1" in score.detail  # stage 1's metrics merged into stage 2's
    assert "evaluate_stage1, evaluate_stage2" in task.visible_text
    assert "global minimum" in task.visible_text  # config.yaml's system message
    assert task.scale == (0.0, 1.0)


# --- EvaluationResult, subprocesses, threads -----------------------------------------------


def test_an_evaluator_returning_evaluation_result_keeps_metrics_and_artifacts(
    tmp_path: Path,
) -> None:
    evaluator = (
        LOAD
        + """
from openevolve.evaluation_result import EvaluationResult

def evaluate(path):
    return EvaluationResult(metrics={"combined_score": load(path).run() * 2},
                            artifacts={"log": "ran fine", "raw": b"bytes too"})
"""
    )
    score = load_task(str(folder(tmp_path, evaluator))).score("def value():\n    return 3.0\n")
    assert score.ok and score.value == 6.0
    assert "log=ran fine" in score.detail and "raw=bytes too" in score.detail


def test_an_evaluator_running_the_program_in_a_subprocess_with_a_timeout(tmp_path: Path) -> None:
    evaluator = """
import subprocess, sys

def evaluate(path):
    code = f"import runpy; print(runpy.run_path({path!r})['run']())"
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=3)
    except subprocess.TimeoutExpired:
        return {"combined_score": -1.0}
    return {"combined_score": float(out.stdout)}
"""
    task = load_task(str(folder(tmp_path, evaluator)))
    assert task.score(task.seed_solution).value == 2.0
    endless = "def value():\n    while True:\n        pass\n"
    assert task.score(endless).value == -1.0  # the evaluator's own timeout fired and scored


def test_an_evaluator_using_a_thread_pool_for_its_timeout(tmp_path: Path) -> None:
    evaluator = (
        LOAD
        + """
import concurrent.futures

def evaluate(path):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return {"combined_score": pool.submit(load(path).run).result(timeout=5)}
"""
    )
    assert load_task(str(folder(tmp_path, evaluator))).score("def value():\n    return 4\n").ok


def test_processes_beyond_the_folders_limit_are_refused(tmp_path: Path) -> None:
    evaluator = """
import threading, time

def evaluate(path):
    threads = [threading.Thread(target=time.sleep, args=(1,)) for _ in range(4)]
    for t in threads:
        t.start()
    return {"combined_score": 1.0}
"""
    config = "stop:\n  max_processes: 2\n"
    score = load_task(str(folder(tmp_path, evaluator, config))).score(
        "def value():\n    return 1\n"
    )
    assert score.value == 0.0 and score.status == "violation"


# --- cascades -----------------------------------------------------------------------------

CASCADE = (
    LOAD
    + """
def evaluate_stage1(path):
    return {"gate": load(path).run()}

def evaluate_stage2(path):
    return {"combined_score": 10.0, "stage": 2.0}

def evaluate(path):
    return {"combined_score": 99.0}
"""
)


def test_a_cascade_stops_at_a_stage_below_its_threshold(tmp_path: Path) -> None:
    task = load_task(str(folder(tmp_path, CASCADE, "evaluator:\n  cascade_thresholds: [0.5]\n")))
    assert task.score("def value():\n    return 0.25\n").value == 0.25  # stage 1's mean
    passed = task.score("def value():\n    return 0.75\n")
    assert passed.value == 10.0 and "gate=0.75" in passed.detail  # stage 2, merged


def test_a_cascade_turned_off_in_config_calls_evaluate(tmp_path: Path) -> None:
    config = "evaluator:\n  cascade_evaluation: false\n"
    task = load_task(str(folder(tmp_path, CASCADE, config)))
    assert task.score("def value():\n    return 0.25\n").value == 99.0


def test_a_failing_second_stage_keeps_the_first_stages_metrics(tmp_path: Path) -> None:
    evaluator = """
def evaluate_stage1(path):
    return {"combined_score": 0.8}

def evaluate_stage2(path):
    raise RuntimeError("stage two broke")

def evaluate(path):
    return {}
"""
    score = load_task(str(folder(tmp_path, evaluator))).score("def value():\n    return 1\n")
    assert score.value == 0.8 and score.status == "exception"
    assert "stage2_passed=0" in score.detail and "stage two broke" in score.detail


# --- config.yaml ----------------------------------------------------------------------------


def test_the_config_timeout_bounds_each_evaluation(tmp_path: Path) -> None:
    evaluator = (
        LOAD
        + """
import time

def evaluate(path):
    time.sleep(load(path).run())
    return {"combined_score": 1.0}
"""
    )
    task = load_task(str(folder(tmp_path, evaluator, "evaluator:\n  timeout: 0.5\n")))
    assert task.score("def value():\n    return 0.01\n").value == 1.0
    slow = task.score("def value():\n    return 30\n")
    assert slow.value == 0.0 and slow.status == "timeout" and "timeout=True" in slow.detail
    assert "within 0.5 s" in task.visible_text


def test_the_system_message_is_the_problem_improvers_are_shown(tmp_path: Path) -> None:
    config = "prompt:\n  system_message: Make value() return pi, to many digits.\n"
    task = load_task(str(folder(tmp_path, "def evaluate(path):\n    return {}\n", config)))
    assert task.visible_text.startswith("Make value() return pi")
    assert task.description == "Make value() return pi, to many digits."


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ("evaluator:\n  timeout: soon\n", "evaluator.timeout must be a number"),
        ("stop:\n  repeats: 0\n", "stop.repeats must be an integer from 1"),
        ("evaluator: [1, 2]\n", "`evaluator` must be a mapping"),
        ("evaluator:\n  timeout: [\n", "not valid YAML"),
    ],
)
def test_a_bad_config_names_the_file_and_the_key(
    tmp_path: Path, config: str, complaint: str
) -> None:
    with pytest.raises(TaskError, match="config.yaml") as raised:
        load_task(str(folder(tmp_path, "def evaluate(path):\n    return {}\n", config)))
    assert complaint in str(raised.value) and "\n" not in str(raised.value)


# --- noise ----------------------------------------------------------------------------------

NOISY = """
import random

def evaluate(path):
    return {"combined_score": random.random()}
"""


def test_repeats_average_independent_evaluations_of_a_noisy_evaluator(tmp_path: Path) -> None:
    task = load_task(str(folder(tmp_path, NOISY, "stop:\n  repeats: 4\n")))
    score = task.score(task.seed_solution, split="test")
    shown = score.detail.split("evaluations: ")[1].split(";")[0].split(", ")
    assert score.instances == 4 and len(set(shown)) == 4  # each repeat draws anew
    assert score.value == pytest.approx(sum(map(float, shown)) / 4, abs=1e-3)


def test_a_secret_split_score_is_reproducible_and_the_visible_one_draws_anew(
    tmp_path: Path,
) -> None:
    task = load_task(str(folder(tmp_path, NOISY)))
    test = {task.score(task.seed_solution, split="test").value for _ in range(3)}
    visible = {task.score(task.seed_solution).value for _ in range(3)}
    assert len(test) == 1 and len(visible) == 3


def test_a_non_finite_fitness_scores_zero_as_an_evaluator_error(tmp_path: Path) -> None:
    evaluator = "def evaluate(path):\n    return {'combined_score': float('nan')}\n"
    score = load_task(str(folder(tmp_path, evaluator))).score("def value():\n    return 1\n")
    assert score.value == 0.0 and score.status == "evaluator_error"


# --- helper modules, unexpected results --------------------------------------------------


def test_an_evaluator_imports_helper_modules_from_its_folder(tmp_path: Path) -> None:
    evaluator = "from scoring import weight\n\ndef evaluate(path):\n    return {'x': weight()}\n"
    root = folder(tmp_path, evaluator, **{"scoring.py": "def weight():\n    return 7.0\n"})
    assert load_task(str(root)).score("def value():\n    return 1\n").value == 7.0


def test_an_evaluator_returning_neither_dict_nor_result_scores_zero(tmp_path: Path) -> None:
    score = load_task(str(folder(tmp_path, "def evaluate(path):\n    return 3\n"))).score("x = 1")
    assert score.value == 0.0 and "evaluate returned int" in score.detail


# --- loader safety ------------------------------------------------------------------------


def test_an_initial_program_linked_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    root = folder(tmp_path, "def evaluate(path):\n    return {}\n")
    (root / "initial_program.py").unlink()
    os.symlink("/proc/self/environ", root / "initial_program.py")
    with pytest.raises(TaskError, match="links outside") as raised:
        load_task(str(root))
    assert "initial_program.py" in str(raised.value) and "\n" not in str(raised.value)


def test_a_link_that_stays_inside_the_folder_is_fine(tmp_path: Path) -> None:
    root = folder(tmp_path, "def evaluate(path):\n    return {'combined_score': 1.0}\n")
    (root / "initial_program.py").rename(root / "program_v1.py")
    os.symlink("program_v1.py", root / "initial_program.py")
    assert load_task(str(root)).seed_solution == split_program(PROGRAM).block


def test_a_non_utf8_evaluator_is_refused_naming_the_file(tmp_path: Path) -> None:
    root = folder(tmp_path, "def evaluate(path):\n    return {}\n")
    (root / "evaluator.py").write_bytes(b"# caf\xe9\ndef evaluate(path):\n    return {}\n")
    with pytest.raises(TaskError, match=r"evaluator\.py is not UTF-8"):
        load_task(str(root))


def test_an_oversized_program_is_refused_naming_the_file(tmp_path: Path) -> None:
    root = folder(tmp_path, "def evaluate(path):\n    return {}\n")
    (root / "initial_program.py").write_text("x = 1\n" * 300_000)
    with pytest.raises(TaskError, match=r"initial_program\.py is .* over the"):
        load_task(str(root))


def test_folder_without_evaluator_raises_task_error(tmp_path: Path) -> None:
    (tmp_path / "initial_program.py").write_text("x = 1\n")
    with pytest.raises(TaskError, match="missing evaluator.py"):
        load_task(str(tmp_path))


def test_an_evaluator_with_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="evaluator.py: line 1"):
        load_task(str(folder(tmp_path, "def evaluate(path:\n")))


# --- the same score as the evaluator run directly ------------------------------------------


DIRECT = """
import importlib.util, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
spec = importlib.util.spec_from_file_location("evaluation_module", sys.argv[1] + "/evaluator.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
result = module.evaluate(sys.argv[3])
print(json.dumps(getattr(result, "metrics", result)))
"""


def test_circle_packing_scores_in_stop_what_its_evaluator_gives_run_directly(
    tmp_path: Path,
) -> None:
    """The evaluator run as a plain script outside the sandbox (with stop's EvaluationResult
    stand-in on the path) gives the same combined_score as `stop` in the sandbox."""
    root = EXAMPLES / "circle_packing"
    program = tmp_path / "program.py"
    program.write_text((root / "initial_program.py").read_text())
    done = subprocess.run(
        [sys.executable, "-c", DIRECT, str(root), str(SHIM_DIR), str(program)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    direct = json.loads(done.stdout)["combined_score"]
    task = load_task(str(root))
    assert task.score(task.seed_solution, split="test").value == direct == 1.5


# --- scores that are not in [0, 1], and the evaluator's noise, where users see them --------


def test_the_meta_utility_text_says_when_scores_are_not_in_0_1() -> None:
    from stop.experiment.config import resolve_config
    from stop.experiment.self_improve import meta_text

    task = load_task(str(EXAMPLES / "circle_packing"))
    config = resolve_config("demo")
    assert "candidate solution any real number" in " ".join(
        meta_text(config, task.scale_text).split()
    )
    assert "candidate solution in [0, 1]" in " ".join(meta_text(config).split())


def test_cli_score_shows_the_evaluators_noise_and_the_scale(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from stop.tasks.commands import app

    root = folder(tmp_path, NOISY)
    solution = tmp_path / "solution.py"
    solution.write_text("def value():\n    return 1\n")
    result = CliRunner().invoke(app, ["score", str(root), str(solution), "--repeats", "4"])
    assert result.exit_code == 0, result.output
    assert "noise: sd" in result.output and "over 4 scorings" in result.output
    assert "any real number" in result.output
