"""Per-call cost of running a trivial function: fresh interpreter vs the sandbox fast path.

Prints milliseconds per call (median) and the ratio of each to the fast path, measured in the
same run. Usage: .venv/bin/python bench/sandbox_overhead.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from stop.sandbox import Limits, Sandbox

SOURCE = "def main(x):\n    return x + 1\n"


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    fresh = median_ms(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), n)
    fresh_np = median_ms(
        lambda: subprocess.run([sys.executable, "-c", "import numpy"], check=True), n
    )
    with Sandbox() as sb:
        print(f"isolation: {sb.isolation.method}, full={sb.isolation.full}")
        sb.call(SOURCE, "main", [1])  # warm
        fast = median_ms(lambda: sb.call(SOURCE, "main", [1], Limits()), n * 5)
        start = time.perf_counter()
        sb.call_many(SOURCE, "main", [[i] for i in range(n * 5)], Limits())
        many = (time.perf_counter() - start) * 1000 / (n * 5)
    rows = [
        ("fresh `python -c pass`", fresh),
        ("fresh interpreter + import numpy", fresh_np),
        ("Sandbox.call (fast path)", fast),
        ("Sandbox.call_many (per item, all workers)", many),
    ]
    print(f"{'per call':45s} {'ms':>8s} {'x fast path':>12s}")
    for name, ms in rows:
        print(f"{name:45s} {ms:8.2f} {ms / fast:12.1f}")


if __name__ == "__main__":
    main()
