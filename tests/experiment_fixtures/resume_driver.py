"""Run a small scripted self-improvement in this process (to be SIGKILLed by a test)."""

import sys

from stop.experiment.config import resolve_config
from stop.experiment.runs import new_run, self_improve
from stop.store import Store
from tests.experiment_fixtures.scripted import scripted_model

SMALL = [
    "iterations=2",
    "lm_budget=2",
    "max_responses_per_call=4",
    "utility_budget=6",
    "meta_utility_budget=6",
    "meta_utility_tests=2",
    "secret_runs=2",
    "transfer_tasks=parity",
    "transfer_seeds=2",
    "improver_wall_seconds=120",
]


def small_config():
    return resolve_config("paper", overrides=SMALL, model="scripted:experiment")


if __name__ == "__main__":
    store = Store(sys.argv[1])
    run_id = new_run(store, "self-improve", small_config())
    print(run_id, flush=True)
    self_improve(small_config(), store, run_id=run_id, model=scripted_model())
