"""Run lifecycle: create (or resume) a run, open its model and sandbox, finish it even on a crash.

These are the library entry points behind `stop improve`, `stop self-improve`, `stop transfer`
and `stop resume`.
"""

from __future__ import annotations

import contextlib
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from stop import __version__
from stop.errors import ConfigError, StopError
from stop.experiment.config import ExperimentConfig
from stop.experiment.recorder import RunRecorder
from stop.experiment.runner import ImproverRunner, RunOutcome
from stop.experiment.self_improve import Iteration, SelfImprovement
from stop.experiment.stats import Estimate, clears_noise, estimate
from stop.experiment.transfer import TransferCell, transfer
from stop.lm.base import LanguageModel
from stop.lm.recorder import RecordingModel
from stop.lm.registry import open_model, parse_model_spec
from stop.sandbox import detect_isolation
from stop.store import Store
from stop.tasks import load_task
from stop.tasks.scale import UNIT, Scale, stored


@dataclass
class SelfImproveResult:
    run_id: str
    iterations: list[Iteration]
    secret: list[Estimate]
    transfer: list[TransferCell] = field(default_factory=list)
    task: str = ""  # the self-improvement task's name and scale (what the meta-utility reads)
    scale: Scale = UNIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "scale": stored(self.scale),
            "iterations": [
                {**it.to_dict(), "secret_mean": s.mean, "secret_ci95": s.ci95, "secret_runs": s.n}
                for it, s in zip(self.iterations, self.secret, strict=True)
            ],
            "transfer": [c.to_dict() for c in self.transfer],
        }


def environment() -> dict[str, Any]:
    """What the run ran on: recorded with it (isolation layers included)."""
    return {
        "stop_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "isolation": detect_isolation().to_dict(),
    }


def new_run(store: Store, kind: str, config: ExperimentConfig) -> str:
    """Create a run record (config and environment stored) and return its id."""
    return store.create_run(kind, config.to_dict(), environment())


@contextmanager
def _run(
    store: Store,
    kind: str,
    config: ExperimentConfig,
    run_id: str | None,
    model: LanguageModel | None,
) -> Iterator[ImproverRunner]:
    """A runner for a new or resumed run; the run is marked finished, failed or interrupted."""
    if run_id is None:
        run_id = new_run(store, kind, config)
    else:
        store.finish_run(run_id, "running")
    recorder = RunRecorder(store, run_id)
    if model is None:
        model = open_model(
            config.model,
            store=store,
            run_id=run_id,
            cache=config.cache,
            stop_after_code_block=config.stop_after_code_block,
        )
    else:  # a model object handed in (tests, embedding): recorded like any other
        model = RecordingModel(model, store, run_id=run_id, cache=config.cache)
    try:
        yield ImproverRunner(config, model, recorder)
    except KeyboardInterrupt:
        store.finish_run(run_id, "interrupted")
        raise
    except BaseException as exc:
        store.finish_run(run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
        raise


def self_improve(
    config: ExperimentConfig,
    store: Store,
    *,
    run_id: str | None = None,
    model: LanguageModel | None = None,
    with_transfer: bool = True,
) -> SelfImproveResult:
    """T iterations of self-improvement, then (optionally) transfer of I[0] and I[T]."""
    with _run(store, "self-improve", config, run_id, model) as runner:
        task = load_task(config.task)
        iterations, secret = SelfImprovement(runner, task).run()
        result = SelfImproveResult(
            runner.recorder.run_id, iterations, secret, task=task.name, scale=task.scale
        )
        if with_transfer and config.transfer_tasks:
            improvers = {"I[0]": iterations[0].source}
            improvers[f"I[{iterations[-1].iteration}]"] = iterations[-1].source
            tasks = [load_task(name) for name in config.transfer_tasks]
            result.transfer = transfer(runner, improvers, tasks, config.transfer_seeds)
        store.finish_run(result.run_id, "finished", result.to_dict())
        return result


@dataclass(frozen=True)
class ImproveResult:
    """`config.improve_runs` independent runs of one improver on one task."""

    run_id: str
    seed_score: float  # the seed solution's score on the test split
    outcomes: list[RunOutcome]
    # the seed solution's per-instance test scores, and its score on re-scoring (the noise)
    seed_instances: list[float] = field(default_factory=list)
    seed_rescores: list[float] = field(default_factory=list)
    task: str = ""  # the task's name and the range its scores lie in
    scale: Scale = UNIT

    @property
    def outcome(self) -> RunOutcome:
        """The run whose returned solution scored best on the test split."""
        return max(self.outcomes, key=lambda o: o.score)

    @property
    def estimate(self) -> Estimate:
        """Mean test-split score of the returned solutions, with a 95% CI over the runs."""
        return estimate([o.score for o in self.outcomes])

    @property
    def seed_noise(self) -> float:
        """The spread of the seed solution's test score over its scorings (0: deterministic)."""
        scores = [self.seed_score, *self.seed_rescores]
        return max(scores) - min(scores)

    def gain(self, outcome: RunOutcome) -> Estimate | None:
        """The returned solution's gain over the seed solution, paired over the test
        instances, with its 95% CI (which instances the split holds); None if unknown."""
        seed = self.seed_instances
        if not seed or (outcome.status == "ok" and len(outcome.per_instance) != len(seed)):
            return None
        returned = outcome.per_instance if outcome.status == "ok" else [0.0] * len(seed)
        return estimate([r - s for r, s in zip(returned, seed, strict=True)])

    def improved(self, outcome: RunOutcome) -> bool:
        """Above the seed solution beyond both the paired CI and the scorer's own noise."""
        gain = self.gain(outcome)
        return gain is not None and clears_noise(gain, self.seed_noise)

    def to_dict(self) -> dict[str, Any]:
        est = self.estimate
        return {
            "task": self.task,
            "scale": stored(self.scale),
            "seed_score": self.seed_score,
            **self.outcome.to_dict(),
            "runs": [o.to_dict() for o in self.outcomes],
            "mean": est.mean,
            "ci95": est.ci95,
        }


def improve(
    config: ExperimentConfig,
    store: Store,
    task_spec: str,
    improver: str,
    *,
    run_id: str | None = None,
    model: LanguageModel | None = None,
) -> ImproveResult:
    """`config.improve_runs` independent runs of an improver on one task, each scored on the
    test split; each finished run is a step, so a resumed run redoes only the missing ones."""
    with _run(store, "improve", config, run_id, model) as runner:
        task = load_task(task_spec)
        rid = runner.recorder.run_id
        seed_score = store.step_result(rid, "seed-solution")
        if seed_score is None:
            seed_score = task.score(task.seed_solution, split="test").value
            store.complete_step(rid, "seed-solution", seed_score)
        seed_noise = store.step_result(rid, "seed-noise")
        if seed_noise is None:  # scored twice more: the spread is the scorer's noise
            first, again = (task.score(task.seed_solution, split="test") for _ in range(2))
            seed_noise = {
                "per_instance": list(first.per_instance),
                "rescores": [first.value, again.value],
            }
            store.complete_step(rid, "seed-noise", seed_noise)
        # run 0's step is "outcome", as it was when `improve` did a single run
        steps = {
            f"improve/run{i}": "outcome" if i == 0 else f"outcome{i}"
            for i in range(config.improve_runs)
        }
        done = {key: store.step_result(rid, step) for key, step in steps.items()}
        missing = [key for key, result in done.items() if result is None]
        fresh = runner.runs_on_task(improver, task, split="test", keys=missing) if missing else []
        for outcome in fresh:
            store.complete_step(rid, steps[outcome.key], outcome.to_dict())
            done[outcome.key] = outcome.to_dict()
        result = ImproveResult(
            rid,
            seed_score,
            [RunOutcome(**done[key]) for key in steps],
            seed_noise["per_instance"],
            seed_noise["rescores"],
            task.name,
            task.scale,
        )
        store.finish_run(rid, "finished", result.to_dict())
        return result


def run_transfer(
    config: ExperimentConfig,
    store: Store,
    improvers: dict[str, str],
    *,
    run_id: str | None = None,
    model: LanguageModel | None = None,
) -> tuple[str, list[TransferCell]]:
    """Improvers × `config.transfer_tasks` × `config.transfer_seeds`, as its own run."""
    with _run(store, "transfer", config, run_id, model) as runner:
        if run_id is None:
            runner.recorder.event("transfer_improvers", improvers=improvers)
        tasks = [load_task(name) for name in config.transfer_tasks]
        cells = transfer(runner, improvers, tasks, config.transfer_seeds)
        rid = runner.recorder.run_id
        store.finish_run(rid, "finished", {"transfer": [c.to_dict() for c in cells]})
        return rid, cells


def replay_config(store: Store, run_id: str) -> ExperimentConfig:
    """The config of `run_id` with its model replaced by a replay of that run's recordings."""
    run = store.get_run(run_id)
    models = [
        r[0]
        for r in store.query(
            "SELECT DISTINCT model FROM lm_calls WHERE run_id = ? AND cache_hit = 0", (run_id,)
        )
    ]
    if len(models) > 1:
        raise StopError(f"run {run_id} used several models ({', '.join(models)}); cannot replay")
    model = "replay"  # any recording of the same request
    if models:
        # Exactly this model's recordings where its name is a model string; otherwise (e.g.
        # a scripted test model) plain replay, which still matches the very same requests.
        with contextlib.suppress(ConfigError):
            model = parse_model_spec(f"replay:{models[0]}").name and f"replay:{models[0]}"
    return ExperimentConfig.from_dict(dict(run["config"], model=model))


def chosen_improvers(store: Store, run_id: str) -> list[str]:
    """Sources of the chosen improver of each iteration of a self-improvement run, in order."""
    rows = store.query(
        "SELECT iteration, source FROM improvers WHERE run_id = ? AND chosen = 1"
        " ORDER BY iteration",
        (run_id,),
    )
    if not rows:
        raise StopError(f"run {run_id} has no improvers; is it a self-improve run?")
    return [r["source"] for r in rows]
