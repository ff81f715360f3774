"""The one exception tree users see.

    StopError                  every error `stop` raises on purpose; the CLI prints its message
    ├── ConfigError            a preset, TOML file or key=value override is wrong
    ├── TaskError              a task file or folder lacks what it needs or is malformed
    ├── ModelError             an embedded model cannot be pulled, assembled or verified
    ├── LMError                a language-model backend failed
    │   ├── LMUnavailable      server unreachable, bad key, or call timed out after retries
    │   ├── ReplayMiss         the replay backend has no recording for a request
    │   └── BudgetExceeded     an improver asked for more than its budget allows
    ├── SandboxError           the sandbox cannot run as configured (e.g. isolation required)
    ├── StoreError             the run store cannot be opened or a run is not found
    └── ExecutorError          a distributed executor is missing or failed

Messages name the next step (which flag, command or file fixes it), because the CLI shows
only the message unless `--debug` is given.
"""

from __future__ import annotations


class StopError(Exception):
    """Base of every error raised on purpose by `stop`."""


class ConfigError(StopError):
    pass


class TaskError(StopError):
    pass


class ModelError(StopError):
    pass


class LMError(StopError):
    pass


class LMUnavailable(LMError):
    pass


class ReplayMiss(LMError):
    pass


class BudgetExceeded(LMError):
    pass


class SandboxError(StopError):
    pass


class StoreError(StopError):
    pass


class ExecutorError(StopError):
    pass
