"""One `stop improve` run, executed with stop's own Python (a child, like the OpenEvolve run).

    python run_stop.py SPEC.json OUT.json

SPEC: folder, base_url, model, calls, max_tokens, temperature, seed, workdir, preset (what
`stop improve` defaults to), and either `improver` (a built-in name) or `improver_run` +
`improver_db` (the chosen improver of the last iteration of that self-improvement run). The
improver may draw `calls` LM samples in all (`budget`), so the samples the server generates
match OpenEvolve's one-request-per-iteration budget, and may call the utility calls+1 times.
OUT: the returned solution (the EVOLVE block), stop's own score (reference only) and the wall
seconds of the run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from stop.experiment.config import resolve_config
from stop.experiment.runs import chosen_improvers, improve
from stop.improvers import improver_source
from stop.store import Store


def load_improver(spec: dict) -> str:
    if spec.get("improver_run"):
        store = Store(spec["improver_db"])
        try:
            return chosen_improvers(store, spec["improver_run"])[-1]
        finally:
            store.close()
    return improver_source(spec.get("improver") or "seed")


def budget(improver: str | None, calls: int, per_call: int) -> tuple[int, int]:
    """(lm_budget, max_responses_per_call) giving `calls` samples in all. The seed improver
    makes one batch_prompt of as many samples as it may, so it gets one call of `calls`;
    others keep the preset's samples per call and get as many calls as fit."""
    if improver == "seed" or calls <= per_call:
        return 1, calls
    return calls // per_call, per_call


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    calls = spec["calls"]
    preset = spec.get("preset") or "paper"
    per_call = resolve_config(preset).max_responses_per_call
    lm_budget, per_call = budget(spec.get("improver"), calls, per_call)
    # One improver run per benchmark run: the budget is N samples, not N per run.
    single = ["improve_runs=1"] if "improve_runs" in resolve_config(preset).to_dict() else []
    config = resolve_config(
        preset,
        overrides=[
            *single,
            f"lm_budget={lm_budget}",
            f"max_responses_per_call={per_call}",
            f"utility_budget={calls + 1}",
            f"max_tokens={spec['max_tokens']}",
            f"temperature={spec['temperature']}",
            f"seed={spec['seed']}",
            "cache=false",  # every sample must reach the server, as OpenEvolve's do
            "improver_wall_seconds=7200",
        ],
        model=f"openai-compatible:{spec['base_url']}#{spec['model']}",
    )
    source = load_improver(spec)
    start = time.monotonic()
    store = Store(Path(spec["workdir"]) / "runs.db")
    try:
        result = improve(config, store, spec["folder"], source)
    finally:
        store.close()
    # Older commits return (run id, seed score, outcome); newer ones an ImproveResult.
    run_id, outcome = (
        (result[0], result[2]) if isinstance(result, tuple) else (result.run_id, result.outcome)
    )
    seconds = time.monotonic() - start
    out = {
        "final_source": outcome.solution,
        "own_score": outcome.score,
        "status": outcome.status,
        "reason": outcome.reason,
        "own_lm_calls": outcome.lm_calls,
        "run_id": run_id,
        "seconds": seconds,
    }
    Path(out_path).write_text(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
