"""Run a small scripted self-improvement in this process (to be SIGKILLed by a test)."""

import sys

from stop.experiment.config import resolve_config
from stop.experiment.runs import new_run, self_improve
from stop.store import Store
from tests.experiment_fixtures.scripted import SMALL, scripted_model


def small_config():
    return resolve_config("paper", overrides=SMALL, model="scripted:experiment")


if __name__ == "__main__":
    store = Store(sys.argv[1])
    run_id = new_run(store, "self-improve", small_config())
    print(run_id, flush=True)
    self_improve(small_config(), store, run_id=run_id, model=scripted_model())
