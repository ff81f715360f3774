"""Local executor vs Ray with 1, 2 and 4 worker processes, on one paper-setting iteration.

One self-improvement iteration at the paper's settings (I[0] scored, the meta-level improver
run, I[1] chosen, both versions scored on the secret side), LM calls answered by the latency
stand-in server of the orchestration benchmark (`standin_server.py`), cache off. Each Ray
configuration is its own driver process with a fresh local Ray instance of N logical CPUs, i.e.
N concurrent improver runs (Ray cannot be restarted with another size inside one process).
Prints, per configuration, the Ray start-up time and the iteration's wall time, and each
time's ratio to the local executor's, measured in the same invocation.

    python bench/scaling.py [--latency 1.0] [--workers 1,2,4]

On a 2-core machine the improver runs spend their time waiting on the LM, so what bounds the
wall time is how many runs wait concurrently (Ray: N worker processes; local: one thread per
run), not cores. docs/scaling.md turns these figures into a cluster projection.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from standin_server import start_in_thread  # noqa: E402

OVERRIDES = ["iterations=1", "cache=false", "transfer_tasks="]


def one_iteration(base_url: str, executor: str, workers: int) -> dict:
    """Run in this process; returns the figures of one iteration."""
    from stop.experiment.config import resolve_config
    from stop.experiment.runs import self_improve
    from stop.store import Store

    startup = 0.0
    if executor == "ray":
        import ray

        started = time.perf_counter()
        ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False)
        startup = time.perf_counter() - started
    store = Store(Path(tempfile.mkdtemp()) / "runs.db")
    config = resolve_config(
        "paper",
        overrides=[*OVERRIDES, f"executor={executor}"],
        model=f"openai-compatible:{base_url}#standin",
    )
    started = time.perf_counter()
    result = self_improve(config, store, with_transfer=False)
    wall = time.perf_counter() - started
    runs = store.query(
        "SELECT COUNT(*) FROM events WHERE run_id = ? AND kind = 'improver_run'", (result.run_id,)
    )[0][0]
    calls = store.query("SELECT COUNT(*) FROM lm_calls WHERE run_id = ?", (result.run_id,))[0][0]
    return {"startup_s": startup, "wall_s": wall, "improver_runs": runs, "lm_samples": calls}


def in_subprocess(base_url: str, executor: str, workers: int) -> dict:
    argv = [sys.executable, __file__, "--child", base_url, executor, str(workers)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{executor} x{workers} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="stand-in LM latency (s)")
    parser.add_argument("--workers", default="1,2,4", help="Ray worker processes to try")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, executor, workers = args.child
        print(json.dumps(one_iteration(url, executor, int(workers))))
        return

    server, counters, url = start_in_thread(args.latency)
    configs = [("local", 0)] + [("ray", int(w)) for w in args.workers.split(",")]
    rows = []
    for executor, workers in configs:
        before = counters.requests
        figures = in_subprocess(url, executor, workers)
        figures["requests"] = counters.requests - before
        rows.append((executor, workers, figures))
    server.shutdown()

    base = rows[0][2]["wall_s"]
    print(f"one paper-setting iteration, stand-in LM latency {args.latency:.2f} s, cache off")
    print(
        f"{'executor':<14}{'ray start s':>12}{'wall s':>10}{'vs local':>10}"
        f"{'runs':>7}{'LM requests':>13}{'samples':>9}"
    )
    for executor, workers, f in rows:
        label = "local threads" if executor == "local" else f"ray x{workers}"
        print(
            f"{label:<14}{f['startup_s']:>12.1f}{f['wall_s']:>10.1f}{base / f['wall_s']:>9.2f}x"
            f"{f['improver_runs']:>7}{f['requests']:>13}{f['lm_samples']:>9}"
        )
    print("vs local = local wall time / this wall time (>1: faster than local threads)")


if __name__ == "__main__":
    main()
