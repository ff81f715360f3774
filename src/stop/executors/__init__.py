"""Executors: where the independent improver runs of one `runs_on_task` call execute.

    base           the `Executor` protocol and the name -> executor table (`open_executor`)
    local          threads in this process (the default; what `stop` always did)
    ray_executor   Ray tasks on a local or existing Ray cluster (`--executor ray`)
    buffer         the recorder a Ray task writes to; the driver replays it into the store

Nothing here imports Ray at import time: `ray` is the optional extra `stop[ray]`.
"""

from stop.executors.base import EXECUTORS, Executor, open_executor

__all__ = ["EXECUTORS", "Executor", "open_executor"]
