"""Recursive self-improvement: I[t] = I[t-1](source of I[t-1], meta_utility, LM).

Each completed step is stored (`steps` table) before the next begins, so a killed run resumes at
the step it was in; with the LM cache on, the redone step replays the same samples.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from stop.experiment.config import ExperimentConfig
from stop.experiment.outcomes import candidate_failures, describe_failures
from stop.experiment.runner import ImproverRunner
from stop.experiment.stats import Estimate, estimate
from stop.experiment.utilities import META_UTILITY_TEXT, MetaUtility, source_digest
from stop.improvers import improver_source
from stop.tasks import Task


@dataclass(frozen=True)
class Iteration:
    iteration: int
    improver_id: int
    source: str
    validation_meta_utility: float  # mean over meta_utility_tests runs (what selection saw)
    candidates: int  # improvers the meta-utility scored during this step
    accepted: bool  # whether the returned candidate replaced its parent
    why: str = ""  # when not accepted: what the candidates came to (failure kinds)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def meta_text(config: ExperimentConfig, scale: str = "in [0, 1]") -> str:
    """The meta-utility's text; `scale` is how the task's scores read (Task.scale_text)."""
    return META_UTILITY_TEXT.format(
        scale=scale,
        tests=config.meta_utility_tests,
        lm_budget=config.lm_budget,
        max_responses=config.max_responses_per_call,
        utility_budget=config.utility_budget,
        wall=config.improver_wall_seconds,
        meta_budget=config.meta_utility_budget,
    )


class SelfImprovement:
    """One self-improvement run over `task`, resumable through the store's steps."""

    def __init__(self, runner: ImproverRunner, task: Task) -> None:
        self.runner = runner
        self.config = runner.config
        self.task = task
        self.recorder = runner.recorder
        self.store = runner.recorder.store
        self.run_id = runner.recorder.run_id
        self._memo: dict[tuple[str, str], float] = {}
        self._memo_lock = threading.Lock()

    def meta_score(self, source: str, split: str, runs: int) -> list[float]:
        """Scores of `runs` independent downstream runs of improver `source` on `split`.

        Keys depend on the source, so the same improver scored twice draws the same samples.
        """
        prefix = f"{split}/{source_digest(source)}"
        outcomes = self.runner.runs_on_task(
            source, self.task, split=split, keys=[f"{prefix}/run{i}" for i in range(runs)]
        )
        return [o.score for o in outcomes]

    def validation_score(self, source: str) -> float:
        key = ("validation", source)
        with self._memo_lock:
            if key in self._memo:
                return self._memo[key]
        scores = self.meta_score(source, "validation", self.config.meta_utility_tests)
        value = sum(scores) / len(scores)
        with self._memo_lock:
            self._memo[key] = value
        return value

    def seed_step(self) -> Iteration:
        done = self.store.step_result(self.run_id, "iteration/0")
        if done:
            return Iteration(**done)
        source = improver_source("seed")
        score = self.validation_score(source)
        improver_id = self.recorder.improver(0, source, None, score)
        self.recorder.choose_improver(improver_id)
        result = Iteration(0, improver_id, source, score, 0, True)
        self.store.complete_step(self.run_id, "iteration/0", result.to_dict())
        return result

    def step(self, parent: Iteration) -> Iteration:
        """I[t] from I[t-1]: the parent improves its own source against the meta-utility."""
        t = parent.iteration + 1
        done = self.store.step_result(self.run_id, f"iteration/{t}")
        if done:
            return Iteration(**done)
        recorder = self.recorder.with_context(iteration=t)
        self._forget_unfinished(t)
        candidate_ids: dict[str, int] = {}

        def record_candidate(source: str, score: float) -> None:
            if source not in candidate_ids:
                candidate_ids[source] = recorder.improver(t, source, parent.improver_id, score)

        meta = MetaUtility(
            text=meta_text(self.config, self.task.scale_text),
            budget=self.config.meta_utility_budget,
            recorder=recorder,
            evaluate=self.validation_score,
            on_score=record_candidate,
        )
        violations: list[dict] = []
        lm = self.runner.budgeted_lm(f"iteration/{t}", recorder, violations)
        status, reason, returned = self.runner.run_with(
            parent.source, parent.source, meta, lm, recorder, violations
        )
        accepted = False
        chosen_id, chosen_source, chosen_score = (
            parent.improver_id,
            parent.source,
            parent.validation_meta_utility,
        )
        if status == "ok" and returned and returned != parent.source:
            score = meta.scores.get(returned)
            if score is None:
                score = self.validation_score(returned)
            record_candidate(returned, score)
            better = score > parent.validation_meta_utility
            accepted = better if self.config.acceptance == "best" else score > 0
            if accepted:
                chosen_id, chosen_source, chosen_score = candidate_ids[returned], returned, score
        recorder.event(
            "iteration_choice",
            status=status,
            reason=reason[-500:],
            accepted=accepted,
            candidates=len(candidate_ids),
        )
        if not accepted:  # the parent carries on as I[t] (one row, even if it was scored)
            chosen_id = candidate_ids.get(parent.source) or recorder.improver(
                t, parent.source, parent.improver_id, chosen_score
            )
        recorder.choose_improver(chosen_id)
        why = "" if accepted else self._why_not(t, parent, status, len(candidate_ids))
        result = Iteration(
            t, chosen_id, chosen_source, chosen_score, len(candidate_ids), accepted, why
        )
        self.store.complete_step(self.run_id, f"iteration/{t}", result.to_dict())
        return result

    def _why_not(self, t: int, parent: Iteration, status: str, candidates: int) -> str:
        """Why step `t` kept its parent, in words a table can show."""
        kinds = candidate_failures(
            self.store, self.run_id, t, parent.source, parent.validation_meta_utility
        )
        text = describe_failures(kinds)
        if status != "ok":
            return f"the improver failed ({status})" + (f"; candidates: {text}" if text else "")
        if not candidates or not text:
            return "no new candidate (no code in the answers, or the input returned unchanged)"
        return text

    def _forget_unfinished(self, t: int) -> None:
        """Drop improver rows of an attempt at step `t` that was killed before it completed,
        so a resumed run lists each candidate once (events of the attempt stay, as a log)."""
        with self.store.transaction() as conn:
            gone = conn.execute(
                "DELETE FROM improvers WHERE run_id = ? AND iteration = ?", (self.run_id, t)
            ).rowcount
        if gone:
            self.recorder.event("step_redone", iteration=t, dropped_improvers=gone)

    def secret_estimate(self, iteration: Iteration) -> Estimate:
        """The reported meta-utility of one version: `secret_runs` runs on the test split."""
        key = f"secret/{source_digest(iteration.source)}"
        done = self.store.step_result(self.run_id, key)
        if done is None:
            done = self.meta_score(iteration.source, "test", self.config.secret_runs)
            self.store.complete_step(self.run_id, key, done)
        return estimate(done)

    def run(self) -> tuple[list[Iteration], list[Estimate]]:
        iterations = [self.seed_step()]
        for _ in range(self.config.iterations):
            iterations.append(self.step(iterations[-1]))
        secrets = [self.secret_estimate(it) for it in iterations]
        return iterations, secrets
