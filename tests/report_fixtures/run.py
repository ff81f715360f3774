"""One finished scripted self-improvement run, built once per test process and shared by the
analysis and report tests (it takes ~10 s: real sandbox, real tasks, real store)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from stop.experiment.config import resolve_config
from stop.experiment.runs import self_improve
from stop.store import Store
from tests.experiment_fixtures.scripted import scripted_model
from tests.test_experiment import SMALL


@functools.cache
def scripted_run() -> tuple[Path, str]:
    """(path of the run store, run id) of a finished 2-iteration run with transfer."""
    folder = Path(tempfile.mkdtemp(prefix="stop-report-run-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    store = Store(folder / "runs.db")
    config = resolve_config("paper", overrides=SMALL, model="scripted:experiment")
    result = self_improve(config, store, model=scripted_model())
    store.close()
    return folder / "runs.db", result.run_id
