"""Running an improver: on a task (one downstream run) and as a meta-utility (many runs).

Every improver run gets a fresh budgeted LM and a fresh budgeted utility, runs in a sandboxed
child that holds only proxies to them, and its returned solution is scored host-side on held-out
instances. Runs are independent: each has its own key, which seeds its visible instances and
offsets its LM sample indices, so cached samples are never shared between runs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from stop.executors import open_executor
from stop.experiment.config import ExperimentConfig
from stop.experiment.recorder import RunRecorder
from stop.experiment.utilities import TaskUtility, derive_seed
from stop.lm.base import Completion, LanguageModel, Message, complete_samples
from stop.lm.budget import BudgetedLanguageModel
from stop.sandbox import Limits, run_improver
from stop.tasks import Task


class GatedModel:
    """Caps concurrent requests to a backend (`--lm-concurrency`) across all improver runs.

    With `one_sample_per_request` (the `--sequential` mode) every sample is its own request,
    as with a server that ignores `n`, so "sequential" means one sample at a time.
    """

    def __init__(
        self, model: LanguageModel, concurrency: int, *, one_sample_per_request: bool = False
    ) -> None:
        self.inner = model
        self.name = model.name
        self._gate = threading.Semaphore(max(1, concurrency))
        self._split = one_sample_per_request

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 1024,
        first_sample: int = 0,
    ) -> list[Completion]:
        batches = (
            [(i, 1) for i in range(first_sample, first_sample + n)]
            if self._split
            else [(first_sample, n)]
        )
        out: list[Completion] = []
        for first, count in batches:
            with self._gate:
                out += complete_samples(
                    self.inner,
                    messages,
                    first_sample=first,
                    n=count,
                    temperature=temperature,
                    max_tokens=max_tokens,
                )
        return out


@dataclass(frozen=True)
class RunOutcome:
    """One improver run on one task."""

    key: str
    status: str  # "ok", a sandbox failure kind, or "budget"
    reason: str
    solution: str | None
    score: float  # secret score of the returned solution; 0 when the run failed
    lm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    utility_uses: int
    wall_seconds: float
    # the returned solution's score per test instance (paired with the seed solution's)
    per_instance: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ImproverRunner:
    """Runs improvers under the config's budgets, recording everything."""

    def __init__(
        self,
        config: ExperimentConfig,
        model: LanguageModel,
        recorder: RunRecorder,
        sandbox: Any = None,
    ) -> None:
        self.config = config
        self.model = GatedModel(
            model, config.effective_lm_concurrency(), one_sample_per_request=config.sequential
        )
        self.recorder = recorder
        self.sandbox = sandbox
        self.executor = open_executor(config)
        self.limits = Limits(
            cpu_seconds=config.improver_cpu_seconds,
            wall_seconds=config.improver_wall_seconds,
            memory_bytes=2 << 30,
        )

    def budgeted_lm(
        self, key: str, recorder: RunRecorder, violations: list[dict] | None = None
    ) -> BudgetedLanguageModel:
        """A fresh LM budget for one improver run; violations are recorded and collected."""
        cfg = self.config

        def on_violation(kind: str, detail: dict) -> None:
            recorder.event("lm_budget_violation", violation=kind, **detail)
            if violations is not None:
                violations.append(detail)

        return BudgetedLanguageModel(
            self.model,
            budget=cfg.lm_budget,
            max_responses_per_call=cfg.max_responses_per_call,
            max_tokens=cfg.max_tokens,
            concurrency=1 if cfg.sequential else cfg.max_responses_per_call,
            on_violation=on_violation,
            sample_base=derive_seed(cfg.seed, key) % 1_000_000_000 * 1000,
        )

    def run_with(
        self,
        improver_source: str,
        initial_solution: str,
        utility: Any,
        lm: BudgetedLanguageModel,
        recorder: RunRecorder,
        lm_violations: list[dict],
    ) -> tuple[str, str, str | None]:
        """Run the improver in the sandbox; return (status, reason, returned source or None)."""
        result = run_improver(
            improver_source,
            initial_solution,
            utility,
            lm,
            self.limits,
            isolation_required=self.config.require_isolation,
        )
        for event in result.events:
            detail = {k: v for k, v in event.items() if k != "kind"}
            recorder.event(f"improver_{event.get('kind', 'event')}", **detail)
        if result.status != "ok":
            reason = (result.error or result.stderr)[-2000:]
            recorder.event("improver_failed", status=result.status, reason=reason)
            return result.status, reason, None
        violations = getattr(utility, "over_budget_calls", 0) + len(lm_violations)
        if violations:
            return "budget", f"{violations} calls past a budget", result.value
        return "ok", "", result.value

    def run_on_task(
        self,
        improver_source: str,
        task: Task,
        *,
        split: str,
        key: str,
        initial_solution: str | None = None,
    ) -> RunOutcome:
        """One downstream run: improve `task`'s seed, score the result on `split`."""
        recorder = self.recorder.with_context(run_key=key, task=task.name)
        started = time.monotonic()
        violations: list[dict] = []
        lm = self.budgeted_lm(key, recorder, violations)
        utility = TaskUtility(
            task,
            budget=self.config.utility_budget,
            seed=derive_seed(self.config.seed, key, "visible"),
            recorder=recorder,
            sandbox=self.sandbox,
            feedback=self.config.utility_feedback,
        )
        initial = task.seed_solution if initial_solution is None else initial_solution
        status, reason, solution = self.run_with(
            improver_source, initial, utility, lm, recorder, violations
        )
        score, per_instance = 0.0, []
        if status == "ok" and solution is not None:
            scored = task.score(solution, split=split, sandbox=self.sandbox)
            recorder.evaluation(
                task.name, f"secret-{split}", solution, scored.value, scored.status, scored.detail
            )
            score, per_instance = scored.value, list(scored.per_instance)
        outcome = RunOutcome(
            key=key,
            status=status,
            reason=reason,
            solution=solution,
            score=score,
            lm_calls=lm.calls_used,
            prompt_tokens=lm.prompt_tokens,
            completion_tokens=lm.completion_tokens,
            cost_usd=lm.cost_usd,
            utility_uses=utility.uses,
            wall_seconds=time.monotonic() - started,
            per_instance=per_instance,
        )
        recorder.event(
            "improver_run",
            **{k: v for k, v in outcome.to_dict().items() if k not in ("solution", "per_instance")},
        )
        return outcome

    def runs_on_task(
        self, improver_source: str, task: Task, *, split: str, keys: list[str]
    ) -> list[RunOutcome]:
        """Independent runs, concurrently unless the config says sequential; through the
        config's executor (local threads or Ray tasks), outcomes in key order."""
        return self.executor.runs_on_task(self, improver_source, task, split=split, keys=keys)
