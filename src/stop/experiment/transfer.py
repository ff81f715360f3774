"""Transfer: run improvers on tasks they never saw; mean secret score ± CI per (improver, task)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stop.experiment.runner import ImproverRunner
from stop.experiment.stats import estimate
from stop.tasks import Task
from stop.tasks.scale import UNIT, Scale, stored


@dataclass(frozen=True)
class TransferCell:
    improver: str
    task: str
    mean: float
    ci95: float
    runs: int
    seed_solution_score: float
    scale: Scale = UNIT  # the task's, so a report can say what the scores mean

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "scale": stored(self.scale)}


def transfer(
    runner: ImproverRunner, improvers: dict[str, str], tasks: list[Task], seeds: int
) -> list[TransferCell]:
    """Each improver (label -> source) on each task over `seeds` independent runs (test split)."""
    store, run_id = runner.recorder.store, runner.recorder.run_id
    cells: list[TransferCell] = []
    for task in tasks:
        seed_key = f"transfer/seed-solution/{task.name}"
        seed_score = store.step_result(run_id, seed_key)
        if seed_score is None:
            seed_score = task.score(task.seed_solution, split="test", sandbox=runner.sandbox).value
            store.complete_step(run_id, seed_key, seed_score)
        for label, source in improvers.items():
            key = f"transfer/{label}/{task.name}"
            scores = store.step_result(run_id, key)
            if scores is None:
                outcomes = runner.runs_on_task(
                    source, task, split="test", keys=[f"{key}/seed{i}" for i in range(seeds)]
                )
                scores = [o.score for o in outcomes]
                store.complete_step(run_id, key, scores)
            est = estimate(scores)
            cells.append(
                TransferCell(label, task.name, est.mean, est.ci95, est.n, seed_score, task.scale)
            )
    return cells
