"""Improver sources kept as files and loaded as data (never imported into the host)."""

from __future__ import annotations

from importlib import resources

from stop.errors import ConfigError

BUILTIN_IMPROVERS = ("seed", "single", "hill_climb", "best_first")


def improver_source(name: str) -> str:
    """The source text of a built-in improver (`seed`, `single`, `hill_climb`, `best_first`)."""
    if name not in BUILTIN_IMPROVERS:
        raise ConfigError(
            f"unknown improver {name!r}; built-ins: {', '.join(BUILTIN_IMPROVERS)},"
            " or pass a path to a .py file defining improve_algorithm"
        )
    return resources.files(__package__).joinpath(f"{name}.py").read_text()
