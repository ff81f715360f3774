"""The installation's task secret: created once, whole, and the same for every process."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from stop.tasks.secret import FILE, task_secret


def _secret_in_a_fresh_process(home: str, start, results) -> None:
    os.environ["STOP_HOME"] = home
    os.environ.pop("STOP_TASK_SECRET", None)
    start.wait()
    try:
        results.put(task_secret())
    except Exception as exc:  # noqa: BLE001 - the test reports it
        results.put(repr(exc))


def test_processes_racing_to_create_the_secret_all_read_the_winners_whole_value(tmp_path: Path):
    # Before: one process created the file and another read it still empty (ValueError).
    home = tmp_path / "home"
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    racers = [
        ctx.Process(target=_secret_in_a_fresh_process, args=(str(home), start, results))
        for _ in range(12)
    ]
    for racer in racers:
        racer.start()
    start.set()
    values = [results.get(timeout=30) for _ in racers]
    for racer in racers:
        racer.join(timeout=30)
    assert len(set(values)) == 1 and isinstance(values[0], int), values
    assert (home / FILE).read_text() == f"{values[0]}\n"
    assert [p.name for p in home.iterdir()] == [FILE]  # no draft left behind
