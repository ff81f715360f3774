"""Secret-utility evaluation time per task, for the seed and the reference solution.

Median wall time of a full secret (test split) evaluation over several runs, through the real
sandbox; the reference solutions are the ones the tests use to prove each utility discriminates
(tests/test_tasks.py). Target: a full secret evaluation of any task under 2 s on 2 cores.

    .venv/bin/python bench/tasks.py [RUNS]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stop.sandbox import Sandbox  # noqa: E402
from stop.tasks import list_tasks  # noqa: E402
from tests.test_tasks import REFERENCES  # noqa: E402


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(
        f"{'task':22s} {'solution':9s} {'instances':>9s} {'score':>6s} {'median s':>9s}"
        f" {'s/instance':>10s}"
    )
    with Sandbox() as sandbox:
        for task in list_tasks():
            for label, source in (
                ("seed", task.seed_solution),
                ("reference", REFERENCES[task.name][0]),
            ):
                times, score = [], None
                for _ in range(runs):
                    started = time.perf_counter()
                    score = task.score(source, split="test", sandbox=sandbox)
                    times.append(time.perf_counter() - started)
                median = statistics.median(times)
                print(
                    f"{task.name:22s} {label:9s} {score.instances:9d} {score.value:6.3f}"
                    f" {median:9.2f} {median / score.instances:10.4f}"
                )


if __name__ == "__main__":
    main()
