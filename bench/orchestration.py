"""How close `stop`'s scheduling gets to the LM-latency bound, and what concurrency buys.

Runs one self-improvement iteration (I[0] scored, I[1] chosen, both scored on the secret side)
at the paper's settings against a stand-in OpenAI-compatible server that answers after a fixed
latency, once concurrently and once with --sequential, and prints:

- wall time of each;
- the critical-path lower bound: LM latency x the longest chain of dependent LM calls (for a
  seed-like improver: I[0]'s validation runs, the meta-level call, then each candidate scored
  one after another by the seed improver, then the secret runs of each distinct version) plus
  the measured evaluation time along that chain;
- concurrent / bound (target <= 1.25) and sequential / concurrent (target >= 20).

    python bench/orchestration.py [--latency 1.0] [--skip-sequential]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from standin_server import start_in_thread  # noqa: E402

from stop.experiment.config import resolve_config  # noqa: E402
from stop.experiment.runs import self_improve  # noqa: E402
from stop.store import Store  # noqa: E402


def one_iteration(base_url: str, sequential: bool) -> tuple[float, Store, str]:
    store = Store(Path(tempfile.mkdtemp()) / "runs.db")
    config = resolve_config(
        "paper",
        overrides=["iterations=1", "cache=false", "transfer_tasks="],
        model=f"openai-compatible:{base_url}#standin",
        sequential=sequential,
    )
    started = time.perf_counter()
    result = self_improve(config, store, with_transfer=False)
    return time.perf_counter() - started, store, result.run_id


def evaluation_seconds_on_chain(store: Store, run_id: str) -> float:
    """Mean wall time of one downstream improver run (its LM call included)."""
    rows = store.query(
        "SELECT payload_json FROM events WHERE run_id = ? AND kind = 'improver_run'", (run_id,)
    )
    walls = [json.loads(r[0])["wall_seconds"] for r in rows]
    return sum(walls) / max(1, len(walls))


def chain_length(config_candidates: int, versions: int) -> int:
    return 1 + 1 + config_candidates + versions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()
    server, counters, url = start_in_thread(args.latency)
    concurrent, store, run_id = one_iteration(url, sequential=False)
    requests, samples = counters.requests, counters.samples
    seed_source = store.query(
        "SELECT source FROM improvers WHERE run_id = ? AND iteration = 0", (run_id,)
    )[0][0]
    candidates = store.query(
        "SELECT COUNT(DISTINCT source) FROM improvers WHERE run_id = ? AND iteration = 1"
        " AND source != ?",
        (run_id, seed_source),
    )[0][0]
    versions = len(
        {
            r[0]
            for r in store.query(
                "SELECT source FROM improvers WHERE run_id = ? AND chosen = 1", (run_id,)
            )
        }
    )
    chain = chain_length(candidates, versions)
    per_run = evaluation_seconds_on_chain(store, run_id)
    evaluation = max(0.0, per_run - args.latency)  # a downstream run's time beyond its LM call
    bound = chain * (args.latency + evaluation)
    print(
        f"stand-in latency {args.latency:.2f} s; concurrent run: {requests} requests,"
        f" {samples} samples, {candidates} candidates, {versions} distinct versions"
    )
    print(
        f"critical path: {chain} dependent LM calls x ({args.latency:.2f} s latency +"
        f" {evaluation:.2f} s evaluation per downstream run) = {bound:.1f} s"
    )
    print(
        f"concurrent wall time      {concurrent:8.1f} s   concurrent/bound = "
        f"{concurrent / bound:.2f}  (target <= 1.25)"
    )
    if not args.skip_sequential:
        sequential, _, _ = one_iteration(url, sequential=True)
        print(
            f"sequential wall time      {sequential:8.1f} s   sequential/concurrent = "
            f"{sequential / concurrent:.1f}x (target >= 20x)"
        )
    server.shutdown()


if __name__ == "__main__":
    main()
