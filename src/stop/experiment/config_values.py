"""Checking config values where they enter: one TOML value, `--set key=value` or flag at a time.

Every value is turned into its field's type or refused with one line naming the key, where it
came from (the TOML file, `--set`, a flag) and what it should be. Numbers must be finite (TOML
has `inf` and `nan`), whole where the field is whole, and inside the ranges below, so a run
never starts with a negative budget or a NaN temperature and ends "finished" with meaningless
numbers.
"""

from __future__ import annotations

import math
from typing import Any

from stop.errors import ConfigError

# Inclusive bounds (None: unbounded). Budgets and counts are at least 1; the rest say why.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "iterations": (0, 10_000),  # 0: only the seed improver is measured
    "lm_budget": (1, None),
    "max_responses_per_call": (1, None),
    "utility_budget": (1, None),
    "meta_utility_budget": (1, None),
    "meta_utility_tests": (1, None),
    "secret_runs": (1, None),
    "transfer_seeds": (1, None),
    "improve_runs": (1, None),
    "max_tokens": (1, None),
    "lm_concurrency": (0, None),  # 0: the backend's own default
    "temperature": (0.0, 2.0),  # what OpenAI-compatible servers and Anthropic accept
}
POSITIVE = ("improver_wall_seconds", "improver_cpu_seconds")  # finite and above 0
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _refuse(name: str, origin: str, wants: str, raw: Any) -> ConfigError:
    where = f" (from {origin})" if origin else ""
    return ConfigError(f"config key {name!r}{where} wants {wants}, got {raw!r}")


def _number(raw: Any) -> float | None:
    """`raw` as a float if it is a number or a numeric string (not a bool), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def coerce(name: str, raw: Any, default: Any, origin: str = "") -> Any:
    """`raw` (a TOML value or a `key=value` string) as the type of `default`, or ConfigError."""
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str | int) and str(raw).strip().lower() in TRUE + FALSE:
            return str(raw).strip().lower() in TRUE
        raise _refuse(name, origin, "true or false", raw)
    if isinstance(default, int):
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        number = _number(raw)
        if number is None or not math.isfinite(number) or not number.is_integer():
            raise _refuse(name, origin, "a whole number", raw)
        return int(number)
    if isinstance(default, float):
        number = _number(raw)
        if number is None or not math.isfinite(number):
            raise _refuse(name, origin, "a finite number", raw)
        return number
    if isinstance(default, str):
        if not isinstance(raw, str):
            raise _refuse(name, origin, "a string", raw)
        return raw
    if isinstance(default, tuple):
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise _refuse(name, origin, "a list of names (or a comma-separated string)", raw)
        return tuple(i.strip() for i in items if i.strip())
    if isinstance(default, dict):
        if not isinstance(raw, dict):
            raise _refuse(name, origin, "a table", raw)
        return raw
    try:
        return type(default)(raw)
    except (TypeError, ValueError, OverflowError):
        raise _refuse(name, origin, f"a {type(default).__name__}", raw) from None


def check_ranges(values: dict[str, Any], origins: dict[str, str]) -> None:
    """Refuse numbers outside `RANGES` and non-positive limits in `POSITIVE`."""
    for name, (low, high) in RANGES.items():
        if name not in values:
            continue
        value, where = values[name], f" (from {origins[name]})" if origins.get(name) else ""
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"in [{low}, {high}]"
            raise ConfigError(f"config key {name!r}{where} must be {bounds}, got {value!r}")
    for name in POSITIVE:
        if name in values and not values[name] > 0:
            where = f" (from {origins[name]})" if origins.get(name) else ""
            raise ConfigError(
                f"config key {name!r}{where} must be a positive number of seconds,"
                f" got {values[name]!r}"
            )


def check_sampling(*, temperature: float, max_tokens: int, where: str) -> None:
    """The sampling arguments of a single LM request (`stop lm ask`), checked the same way."""
    values = {
        "temperature": coerce("temperature", temperature, 0.0, where),
        "max_tokens": coerce("max_tokens", max_tokens, 0, where),
    }
    check_ranges(values, {"temperature": where, "max_tokens": where})
