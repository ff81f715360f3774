"""Improvement quality: do `stop`'s improvers make programs better on the embedded models?

For each cell (model × improver × task) it runs several independent `stop improve` runs at the
paper's budgets (4 LM calls of up to 6 samples, 25 utility calls; `--set` overrides). The runs
of a cell are drawn together (`--set improve_runs=3`, as a user would run them), so their
samples share the embedded model's batches; `--groups` repeats that. Per group it records every
sample's failure kind (design §5b, see `stop.experiment.outcomes`) and the candidates the
improvers scored; per run, the returned solution's test-split score against the seed
solution's, with that split's noise. `bench/improvement_table.py` turns the records into the
table of docs/performance.md.

Groups are appended to a JSON-lines file as they finish, so a killed benchmark resumes where it
stopped (same --out); the model lock (--lock) is held per group, so other model users interleave.

    .venv/bin/python bench/improvement.py                      # the full grid (about 2 hours)
    .venv/bin/python bench/improvement.py --quick              # one small run, for CI smoke
    .venv/bin/python bench/improvement.py --cells local:best_first:max_cut --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from improvement_table import print_table, summarise_cells  # noqa: E402

from stop.experiment.config import resolve_config  # noqa: E402
from stop.experiment.outcomes import sample_failure  # noqa: E402
from stop.experiment.runs import improve  # noqa: E402
from stop.helpers import extract_code  # noqa: E402
from stop.improvers import improver_source  # noqa: E402
from stop.sandbox import Sandbox  # noqa: E402
from stop.store import Store  # noqa: E402
from stop.tasks import Task, load_task  # noqa: E402

TASKS = (
    "lpn",
    "parity",
    "string_grid_distance",
    "quadratic_assignment",
    "three_sat",
    "max_cut",
)
DEFAULT_MODEL = "local:qwen2.5-coder-1.5b"  # `stop improve`'s default model
OTHER_MODEL = "local"  # the 0.5B, self-improvement's default
# The default grid: every task for `stop improve`'s default model and the improvers a user
# meets (the paper's seed, the hill-climbing baseline, and `stop improve`'s default); the other
# embedded model with the default improver on two tasks.
DEFAULT_CELLS = [
    *(
        f"{DEFAULT_MODEL}:{imp}:{task}"
        for imp in ("best_first", "hill_climb", "seed")
        for task in TASKS
    ),
    *(f"{OTHER_MODEL}:best_first:{task}" for task in ("max_cut", "string_grid_distance")),
]
RESCORES = 3  # test-split evaluations of the seed and the returned solution (load noise)
SAMPLE_SEED = 20261126  # the visible instances every raw sample is classified on


def parse_cell(cell: str) -> tuple[str, str, str]:
    """`MODEL:IMPROVER:TASK` (the model may itself contain a colon)."""
    model, improver, task = cell.rsplit(":", 2)
    return model, improver, task


@contextlib.contextmanager
def model_lock(path: str | None) -> Iterator[None]:
    """Hold the shared one-model-process-at-a-time lock (if given) for the duration."""
    if not path:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def classify_samples(store: Store, run_id: str, task: Task, sandbox: Sandbox) -> list[dict]:
    """Each sample of the run: its raw code (the largest fenced block) scored on fixed visible
    instances, and its failure kind, independent of what the improver then made of it."""
    rows = store.query(
        "SELECT text, finish_reason, completion_tokens FROM lm_calls"
        " WHERE run_id = ? AND error IS NULL ORDER BY id",
        (run_id,),
    )
    samples = []
    for row in rows:
        code = extract_code([row["text"] or ""])[0]
        evaluated = None
        if code is not None:
            score = task.score(code, split="visible", seed=SAMPLE_SEED, sandbox=sandbox)
            evaluated = (score.value, score.status, score.detail)
        samples.append(
            {
                "failure": sample_failure(code, row["finish_reason"] or "", evaluated),
                "finish_reason": row["finish_reason"],
                "tokens": row["completion_tokens"],
            }
        )
    return samples


def scored_candidates(store: Store, run_id: str, task: Task) -> dict[str, float]:
    """Best visible score of each distinct program the improver scored, but the seed's."""
    rows = store.query(
        "SELECT source, score FROM evaluations WHERE run_id = ? AND utility = 'visible'",
        (run_id,),
    )
    best: dict[str, float] = {}
    for row in rows:
        if row["source"].strip() != task.seed_solution.strip():
            best[row["source"]] = max(best.get(row["source"], 0.0), row["score"])
    return best


def test_scores(task: Task, source: str, sandbox: Sandbox) -> list[list[float]]:
    """Per-instance test-split scores of `source`, RESCORES times (a noisy scorer differs)."""
    return [
        list(task.score(source, split="test", sandbox=sandbox).per_instance)
        for _ in range(RESCORES)
    ]


def one_group(
    cell: str, group: int, runs: int, store: Store, lock: str | None, overrides: list[str]
) -> dict:
    """`runs` independent runs of one cell, drawn together as `stop improve --set
    improve_runs=N` draws them: their samples share the model's batches. Samples and scored
    candidates are counted for the group (the store does not split LM calls by run); every run
    has its own returned solution and test scores."""
    model, improver, task_name = parse_cell(cell)
    task = load_task(task_name)
    config = resolve_config(
        "paper", overrides=[*overrides, f"improve_runs={runs}"], model=model, seed=group
    )
    with model_lock(lock):
        started = time.monotonic()
        result = improve(config, store, task_name, improver_source(improver))
        wall = time.monotonic() - started
    with Sandbox() as sandbox:
        samples = classify_samples(store, result.run_id, task, sandbox)
        candidates = scored_candidates(store, result.run_id, task)
        seed_runs = test_scores(task, task.seed_solution, sandbox)
        outcomes = []
        for index, outcome in enumerate(result.outcomes):
            ok = outcome.status == "ok" and outcome.solution
            returned = outcome.solution if ok else None
            outcomes.append(
                {
                    "run": group * runs + index,
                    "status": outcome.status,
                    "seed_test": seed_runs,
                    "returned_test": test_scores(task, returned, sandbox) if returned else None,
                    "returned_is_seed": bool(returned)
                    and returned.strip() == task.seed_solution.strip(),
                    "returned_source": returned,
                }
            )
    return {
        "cell": cell,
        "group": group,
        "run_id": result.run_id,
        "wall_seconds": wall,
        "samples": samples,
        "valid_candidates": sum(1 for score in candidates.values() if score > 0),
        "scored_candidates": len(candidates),
        "outcomes": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", nargs="*", help="MODEL:IMPROVER:TASK (default: the grid)")
    parser.add_argument("--runs", type=int, default=3, help="concurrent runs per group")
    parser.add_argument(
        "--groups", type=int, default=1, help="groups of --runs concurrent runs per cell"
    )
    parser.add_argument("--out", default="/tmp/stop-bench-improvement.jsonl")
    parser.add_argument("--db", default=None, help="run store (default: beside --out)")
    parser.add_argument("--lock", default=None, help="model lock file, held per run")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--quick", action="store_true", help="one tiny run (CI smoke)")
    parser.add_argument("--model", default=None, help="replace the model of every cell")
    args = parser.parse_args()
    cells = args.cells or DEFAULT_CELLS
    runs = args.runs
    overrides = list(args.overrides)
    if args.quick:
        cells, runs, args.groups = args.cells or [f"{DEFAULT_MODEL}:best_first:max_cut"], 1, 1
        overrides = [
            "lm_budget=1",
            "max_responses_per_call=2",
            "utility_budget=3",
            "max_tokens=256",
            *overrides,
        ]
    if args.model:
        cells = [f"{args.model}:{imp}:{task}" for _, imp, task in map(parse_cell, cells)]
    out = Path(args.out)
    done = {(r["cell"], r["group"]) for r in _read(out)}
    store = Store(args.db or out.with_suffix(".db"))
    started = time.monotonic()
    # Group-major: every cell gets its first group of runs before any gets a second, so a
    # benchmark cut short still covers every cell.
    for group in range(args.groups):
        for cell in cells:
            if (cell, group) in done:
                continue
            record = one_group(cell, group, runs, store, args.lock, overrides)
            with out.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            statuses = ", ".join(o["status"] for o in record["outcomes"])
            print(f"{cell} group {group}: {statuses}; {record['wall_seconds']:.0f} s", flush=True)
    records = [r for r in _read(out) if r["cell"] in cells]
    print_table(summarise_cells(records))
    print(f"\nthis invocation took {(time.monotonic() - started) / 60:.1f} min")


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    main()
