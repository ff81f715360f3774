"""What containment costs: evaluations per second and per-evaluation overhead, three ways.

For a trivial solution and for the LPN utility's candidate calls, in one run:
- in-process call (no containment at all: the unsafe baseline),
- a fresh interpreter per evaluation (`python -c`, importing numpy as an LPN solution must),
- the sandbox fast path (a pre-forked worker forks one confined child per evaluation).
Prints evaluations/s, median milliseconds per evaluation, and the ratios the issue targets:
fast-path overhead over in-process (target <= 5 ms median) and fast path vs fresh interpreter
(target >= 10x the evaluations/s). The in-process call and the fast path are timed in turns
(one of each, N times), so both see the same load from whatever else runs on the machine; the
load average is printed with the figures.

    .venv/bin/python bench/sandbox.py [N]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from stop.sandbox import Limits, Sandbox, codec
from stop.tasks import get_task

TRIVIAL = "def main(x):\n    return x + 1\n"
LIMITS = Limits(cpu_seconds=1.0, wall_seconds=5.0)


def timed(fns: dict, n: int) -> dict[str, list[float]]:
    """Each function called n times, in turns; their times."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(n):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(i)
            times[name].append(time.perf_counter() - start)
    return times


def in_process(source: str, entry: str, args_list: list[list]):
    namespace: dict = {}
    exec(compile(source, "<bench>", "exec"), namespace)  # noqa: S102 - our own code
    function = namespace[entry]
    return lambda i: function(*codec.decode(codec.encode(args_list[i % len(args_list)])))


def fresh_interpreter(source: str, entry: str, args_list: list[list]):
    runner = (
        "import json, sys\nfrom stop.sandbox import codec\n"
        "source, entry, args = json.loads(sys.stdin.read())\n"
        "ns = {}\nexec(source, ns)\n"
        "print(json.dumps(codec.encode(ns[entry](*codec.decode(args)))))\n"
    )

    def call(i: int) -> None:
        payload = json.dumps([source, entry, codec.encode(args_list[i % len(args_list)])])
        subprocess.run(
            [sys.executable, "-c", runner],
            input=payload,
            text=True,
            check=True,
            capture_output=True,
        )

    return call


def fast_path(sandbox: Sandbox, source: str, entry: str, args_list: list[list]):
    def call(i: int) -> None:
        result = sandbox.call(source, entry, args_list[i % len(args_list)], LIMITS)
        assert result.ok, result.error

    return call


def lpn_workload() -> tuple[str, str, list[list]]:
    task = get_task("lpn")
    instances = task.scorer.instances("visible", 0, 3)
    solution = (
        "import numpy as np\n\ndef algorithm(train_samples, train_parity, test_samples):\n"
        "    x = np.asarray(train_samples) % 2\n    y = np.asarray(train_parity) % 2\n"
        "    subsets = (np.arange(2 ** x.shape[1])[:, None] >> np.arange(x.shape[1])) & 1\n"
        "    best = subsets[int(np.argmax(((subsets @ x.T) % 2 == y).sum(axis=1)))]\n"
        "    return [int(v) for v in (np.asarray(test_samples) @ best) % 2]\n"
    )
    return solution, task.entry_point, [list(inst.args) for inst in instances]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    workloads = {"trivial": (TRIVIAL, "main", [[1], [2]]), "lpn": lpn_workload()}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'workload':8s} {'way':24s} {'evals/s':>9s} {'median ms':>10s} {'overhead ms':>12s}")
    with Sandbox() as sandbox:
        print(f"(sandbox isolation: {sandbox.isolation.method}, full={sandbox.isolation.full})")
        for name, (source, entry, args) in workloads.items():
            ways = {
                "in-process (unsafe)": in_process(source, entry, args),
                "sandbox fast path": fast_path(sandbox, source, entry, args),
            }
            fresh = fresh_interpreter(source, entry, args)
            for call in (*ways.values(), fresh):
                call(0)  # warm caches
            times = timed(ways, n)
            times["fresh interpreter"] = timed({"fresh": fresh}, max(5, n // 4))["fresh"]
            medians = {way: statistics.median(t) for way, t in times.items()}
            base = medians["in-process (unsafe)"]
            for way in ("in-process (unsafe)", "fresh interpreter", "sandbox fast path"):
                print(
                    f"{name:8s} {way:24s} {1 / np.mean(times[way]):9.1f}"
                    f" {medians[way] * 1000:10.2f} {(medians[way] - base) * 1000:12.2f}"
                )
            ratio = medians["fresh interpreter"] / medians["sandbox fast path"]
            print(
                f"{name:8s} fast path vs fresh interpreter: {ratio:.1f}x evaluations/s"
                f" (target >= 10x); fast-path overhead "
                f"{(medians['sandbox fast path'] - base) * 1000:.2f} ms (target <= 5 ms)"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
