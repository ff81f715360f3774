"""A self-improvement run killed with SIGKILL mid-iteration resumes to the same result."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stop.experiment.runs import self_improve
from stop.store import Store
from tests.experiment_fixtures.resume_driver import small_config
from tests.experiment_fixtures.scripted import scripted_model

ROOT = Path(__file__).resolve().parent.parent


def _comparable(result):
    data = result.to_dict()
    for it in data["iterations"]:
        it.pop("improver_id")
    return data


def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.experiment_fixtures.resume_driver", str(db)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    run_id = driver.stdout.readline().strip()
    store = Store(db)
    deadline = time.monotonic() + 240
    while store.step_result(run_id, "iteration/1") is None:
        assert driver.poll() is None, "the driver ended before it could be killed"
        assert time.monotonic() < deadline, "iteration 1 never completed"
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert store.get_run(run_id)["status"] == "running"  # killed: nobody marked it

    resumed = self_improve(small_config(), store, run_id=run_id, model=scripted_model())
    uninterrupted = self_improve(
        small_config(), Store(tmp_path / "clean.db"), model=scripted_model()
    )

    assert _comparable(resumed) == _comparable(uninterrupted)
    assert store.get_run(run_id)["status"] == "finished"
    iteration_two = store.query(
        "SELECT source FROM improvers WHERE run_id = ? AND iteration = 2", (run_id,)
    )
    sources = [r["source"] for r in iteration_two]
    assert len(sources) == len(set(sources)), "a candidate is listed twice after resuming"
