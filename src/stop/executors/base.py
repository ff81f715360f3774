"""The executor seam: `runs_on_task` of an `ImproverRunner`, run somewhere.

An executor takes the runner (config, model, recorder) and runs `runner.run_on_task` once per
key, returning the outcomes in key order. Whatever it does in between, the runner's store must
end up with what the local executor would have written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from stop.errors import ConfigError

if TYPE_CHECKING:
    from stop.experiment.config import ExperimentConfig
    from stop.experiment.runner import ImproverRunner, RunOutcome
    from stop.tasks import Task


class Executor(Protocol):
    name: str

    def runs_on_task(
        self,
        runner: ImproverRunner,
        improver_source: str,
        task: Task,
        *,
        split: str,
        keys: list[str],
    ) -> list[RunOutcome]:
        """One `runner.run_on_task` per key; outcomes in key order."""
        ...


EXECUTORS = ("local", "ray")


def open_executor(config: ExperimentConfig) -> Executor:
    """The executor named by `config.executor` (nothing starts until its first run)."""
    name = getattr(config, "executor", "local") or "local"
    if name == "local":
        from stop.executors.local import LocalExecutor

        return LocalExecutor(sequential=config.sequential)
    if name == "ray":
        from stop.executors.ray_executor import RayExecutor

        return RayExecutor(address=getattr(config, "ray_address", "") or "")
    raise ConfigError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
