"""What a `stop` seed-improver run would have returned under the current folder loader, from the
same LM samples: no model is called.

    python bench/openevolve_harness/what_if.py WORKDIR [--repeats 5]

The seed improver is best-of-n: it scores the initial block and every candidate on the visible
utility, in order, and keeps a candidate only when it scores strictly higher than the best so
far. Every visible evaluation of a run is in its `runs.db`. Candidates the recorded run scored
`invalid_source` (a whole program that also changed code outside the EVOLVE block, which the
loader of that commit refused) are scored again with today's loader (which drops such edits,
as OpenEvolve's enforce_evolve_blocks does); the others keep their recorded score. The winner
is rescored on the test split `--repeats` times, like every program in the benchmark table.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openevolve_harness.rescore import improved, rescore  # noqa: E402


def replay_run(run_dir: Path, task) -> tuple[str, int, int]:
    """(the block the run would return, candidates rescued, candidates in all)."""
    db = sqlite3.connect(run_dir / "runs.db")
    rows = db.execute(
        "select source, score, status from evaluations where utility = 'visible' order by id"
    ).fetchall()
    db.close()
    (best, best_score, _), candidates = rows[0], rows[1:]
    rescued = 0
    for source, score, status in candidates:
        if status == "invalid_source":
            now = task.score(source)
            rescued += now.status != "invalid_source"
            score = now.value
        if score > best_score:
            best, best_score = source, score
    return best, rescued, len(candidates)


def main() -> None:
    from stop.tasks import load_task

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workdir", type=Path)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--initial-repeats", type=int, default=10)
    args = p.parse_args()
    tasks, initial = {}, {}
    for run_dir in sorted(args.workdir.glob("*.stop.*"), key=lambda d: int(d.suffix[1:])):
        if not (run_dir / "runs.db").exists() or not (run_dir / "out.json").exists():
            continue
        spec = json.loads((run_dir / "spec.json").read_text())
        folder = spec["folder"]
        if folder not in tasks:
            tasks[folder] = load_task(folder)
            initial[folder] = rescore(
                tasks[folder], tasks[folder].seed_solution, args.initial_repeats
            )
        task = tasks[folder]
        block, rescued, total = replay_run(run_dir, task)
        final = rescore(task, block, args.repeats)
        gain = final.mean - initial[folder].mean
        print(json.dumps({
            "run": run_dir.name, "calls": spec["calls"], "seed": spec["seed"],
            "rescued": rescued, "candidates": total, "changed": block != task.seed_solution,
            "score": round(final.mean, 4), "sd": round(final.sd, 4), "gain": round(gain, 4),
            "improved": improved(final, initial[folder]),
        }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
