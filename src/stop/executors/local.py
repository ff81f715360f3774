"""The local executor: independent improver runs on threads of this process.

Threads suffice: an improver run spends its time waiting on LM calls and on its sandboxed
children, not on this process's CPU.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stop.experiment.runner import ImproverRunner, RunOutcome
    from stop.tasks import Task


class LocalExecutor:
    name = "local"

    def __init__(self, *, sequential: bool = False) -> None:
        self.sequential = sequential

    def runs_on_task(
        self,
        runner: ImproverRunner,
        improver_source: str,
        task: Task,
        *,
        split: str,
        keys: list[str],
    ) -> list[RunOutcome]:
        """Concurrently (one thread per key) unless sequential; outcomes in key order."""
        workers = 1 if self.sequential else max(1, len(keys))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(runner.run_on_task, improver_source, task, split=split, key=k)
                for k in keys
            ]
            return [f.result() for f in futures]
