"""The OpenEvolve side-by-side harness (bench/vs_openevolve.py).

Fast tests pin the counting proxy and the table; the slow smoke test runs the whole harness on
one tiny folder with 2 LM samples per system against the fixed-latency stand-in server,
installing openevolve into the benchmark venv first when it is missing (as CI does from a clean
clone). The real-model run behind docs/vs_openevolve.md uses the same code with --server llama.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TINY = BENCH / "openevolve_harness" / "tiny_task"
sys.path.insert(0, str(BENCH))

from openevolve_harness.proxy import CountingProxy  # noqa: E402
from openevolve_harness.rescore import Rescored, improved, outcome  # noqa: E402
from openevolve_harness.table import Initial, RunRecord, markdown, mean_ci  # noqa: E402


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_proxy_counts_what_the_server_did_per_label(tmp_path: Path) -> None:
    import standin_server

    server, counters, base = standin_server.start_in_thread(0.0)
    proxy = CountingProxy(base.removesuffix("/v1"), tmp_path / "log.jsonl").start()
    try:
        message = {"role": "user", "content": "improve this program " * 4}
        body = {"model": "m", "messages": [message]}
        _post(proxy.url("a") + "/chat/completions", {**body, "n": 3})
        _post(proxy.url("b") + "/chat/completions", body)
        _post(proxy.url("b") + "/chat/completions", body)
        a, b = proxy.tally("a"), proxy.tally("b")
    finally:
        proxy.stop()
        server.shutdown()
    assert (a.requests, a.completions) == (1, 3)
    assert (b.requests, b.completions) == (2, 2)
    assert a.completion_tokens == 900 and b.prompt_tokens > 0
    assert counters.requests == 3  # the proxy forwarded every request, no more
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 3


def test_table_reports_improvement_gain_and_noise_per_task_budget_and_system() -> None:
    def rec(system: str, score: float, calls: int = 12, better: bool = False) -> RunRecord:
        return RunRecord("t", system, 0, score, calls, calls, 100, 50, 0, 3.0, calls=calls,
                         score_sd=0.01, improved=better, gain=score - 0.4)  # fmt: skip

    records = [rec("openevolve", 0.5, better=True), rec("openevolve", 0.7, better=True),
               rec("stop", 0.4), rec("stop", 0.9, calls=24, better=True)]  # fmt: skip
    text = markdown(records, {"t": Initial(0.4, 0.02, 10)})
    assert "| t | 0 | initial program (no LM) | - | - | - | 0.400 | 0.020 (n=10) |" in text
    assert "| t | 12 | openevolve | 2 / 2 | +0.200 ± 1.271 | +0.300 | 0.600 ± 1.271 |" in text
    assert "| t | 12 | stop | 0 / 1 | +0.000 | +0.000 | 0.400 |" in text
    assert "| t | 24 | stop | 1 / 1 |" in text
    assert mean_ci([1.0]) == (1.0, 0.0)


def test_a_rerun_counts_only_the_requests_of_its_last_attempt(tmp_path: Path) -> None:
    from vs_openevolve import tallies_from_log

    run = tmp_path / "circle_packing.openevolve.18"
    run.mkdir()
    (run / "spec.json").write_text("{}")  # written when the last attempt started
    started = (run / "spec.json").stat().st_mtime
    log = tmp_path / "requests.jsonl"
    entries = [(started - 60, 1), (started - 59, 1), (started + 1, 1), (started + 2, 1)]
    log.write_text("".join(
        json.dumps({"time": t, "label": run.name, "status": 200, "choices": c}) + "\n"
        for t, c in entries
    ))  # fmt: skip
    tally = tallies_from_log(log, tmp_path)[run.name]
    assert (tally.requests, tally.completions) == (2, 2)


def test_a_run_improved_only_when_its_gain_exceeds_the_evaluators_noise() -> None:
    initial = Rescored(1.0, 0.1, 10)
    assert improved(Rescored(1.2, 0.1, 5), initial)  # 0.2 > 2 * sqrt(0.002 + 0.001)
    assert not improved(Rescored(1.05, 0.1, 5), initial)
    # the initial program back: its rescoring's luck is not an improvement
    assert not improved(Rescored(1.2, 0.1, 5), initial, changed=False)
    deterministic = Rescored(1.5, 0.0, 10)
    assert improved(Rescored(1.5001, 0.0, 5), deterministic)
    assert not improved(Rescored(1.5, 0.0, 5), deterministic)


@pytest.mark.slow
def test_harness_smoke_on_a_tiny_folder(tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "vs_openevolve.py"), str(TINY), "--server", "standin",
         "--calls", "2", "--seeds", "1", "--openevolve-modes", "diff", "--latency", "0.1",
         "--workdir", str(tmp_path / "work"), "--json", str(out)],
        capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    if done.returncode == 3:
        pytest.skip(done.stderr.strip())  # "openevolve unavailable: <pip's reason>"
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "| tiny_task | 2 | openevolve |" in done.stdout
    runs = json.loads(out.read_text())["runs"]
    assert {r["system"] for r in runs} == {"openevolve", "stop (best_first improver)"}
    for r in runs:
        assert r["status"] in ("changed", "unchanged"), r["detail"]
        assert r["completions"] == 2, r  # the same budget, counted at the server
        assert 0.0 <= r["score"] <= 1.0
        assert r["completion_tokens"] > 0


def test_a_run_without_a_program_leaves_the_initial_one_for_both_systems() -> None:
    from stop.tasks import load_task

    task = load_task(str(TINY))
    initial = (TINY / "initial_program.py").read_text()
    changed = initial.replace("return 3.0", "return 7.0")
    crashed = {"error": "exit 1: Traceback"}
    stop_raised = {"final_source": None, "status": "exception", "reason": "ValueError"}
    no_candidate = {"final_source": initial, "status": "no_candidate", "reason": "no diffs"}
    assert outcome(task, crashed)[:2] == (task.seed_solution, "error")
    assert outcome(task, stop_raised)[:2] == (task.seed_solution, "error")
    assert outcome(task, no_candidate)[1] == "unchanged"
    assert outcome(task, {"final_source": task.seed_solution, "status": "ok"})[1] == "unchanged"
    assert outcome(task, {"final_source": changed, "status": "ok"})[1] == "changed"


EVERY_FEATURE = ROOT / "tests" / "openevolve_folders" / "every_feature"
EXAMPLES = ROOT / "examples"
PACKING = (
    "def construct_packing(n):\n    import numpy as np\n    return {centers}, np.full(n, {r})\n"
)
GRID = "np.array([[(i + 0.5) / 4, (j + 0.5) / 3] for j in range(3) for i in range(4)])"
SAME_AS_OPENEVOLVE = [
    (EVERY_FEATURE, "def guess():\n    return 30.0\n"),  # through the cascade
    (EVERY_FEATURE, "def guess():\n    return 41.5\n"),  # a score above 1
    (EVERY_FEATURE, "def guess():\n    return 'x'\n"),  # stage 1 fails its threshold
    (EVERY_FEATURE, "def guess():\n    return 5000.0\n"),  # stage 2 raises
    (EXAMPLES / "circle_packing", None),  # the initial program
    (EXAMPLES / "circle_packing", PACKING.format(centers=GRID, r=0.125)),
    (EXAMPLES / "circle_packing", PACKING.format(centers=GRID, r=0.2)),  # overlapping
    (EXAMPLES / "circle_packing", "def construct_packing(n):\n    raise ValueError(n)\n"),
    (EXAMPLES / "function_minimization", "def search_algorithm():\n    return -1.7, 0.7, 0\n"),
    (EXAMPLES / "function_minimization", "def search_algorithm():\n    return 9, 9, 0\n"),
]


@pytest.fixture(scope="module")
def openevolve_python() -> Path:
    from openevolve_harness.venv import OpenEvolveUnavailable, ensure_openevolve

    try:
        return ensure_openevolve()[0]
    except OpenEvolveUnavailable as exc:
        pytest.skip(f"openevolve unavailable: {exc}")


@pytest.mark.slow
@pytest.mark.parametrize(("folder", "block"), SAME_AS_OPENEVOLVE)
def test_stop_scores_a_folder_as_openevolve_itself_does(
    openevolve_python: Path, tmp_path: Path, folder: Path, block: str | None
) -> None:
    """OpenEvolve's own Evaluator and fitness (its venv, the folder's config.yaml) and stop's
    sandboxed scoring give one program the same fitness: EvaluationResult, subprocesses,
    threads, cascades, timeouts and scores above 1 all mean the same in both."""
    from stop.tasks import load_task

    task = load_task(str(folder))
    block = block or task.seed_solution
    program = tmp_path / "program.py"
    program.write_text(task.extra["program"].attach(block))
    done = subprocess.run(
        [str(openevolve_python), str(BENCH / "openevolve_harness" / "oe_score.py"),
         str(folder), str(program)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    expected = json.loads(done.stdout.splitlines()[-1])["fitness"]
    assert task.score(block, split="test").value == pytest.approx(expected, rel=1e-12)


def test_stop_draws_as_many_lm_samples_as_openevolve_whatever_its_improver() -> None:
    from openevolve_harness.run_stop import budget

    assert budget("seed", 24, 6) == (1, 24)  # one batch_prompt of all 24 samples
    assert budget("hill_climb", 24, 6) == (4, 6)  # 4 calls of the preset's 6 samples
    assert budget("hill_climb", 4, 6) == (1, 4)
