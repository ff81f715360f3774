"""Experiment configuration: frozen, documented, resolved from preset < TOML file < key=value.

The resolved config is stored with every run, so a run can be resumed or replayed from the store
alone.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stop.errors import ConfigError
from stop.experiment.config_values import check_ranges, coerce
from stop.inputs import MiB, read_text_file

NON_LPN_TASKS = ("parity", "string_grid_distance", "quadratic_assignment", "three_sat", "max_cut")


@dataclass(frozen=True)
class ExperimentConfig:
    model: str = "local"  # model string (see `stop.lm.registry`)
    task: str = "lpn"  # the self-improvement task behind the meta-utility
    iterations: int = 4  # T: improver versions after the seed
    lm_budget: int = 4  # LM calls per improver run
    max_responses_per_call: int = 6  # samples one batch_prompt may ask for
    utility_budget: int = 25  # visible-utility calls per improver run (= 6*4+1)
    improve_runs: int = 1  # independent runs of `stop improve` (more than 1 gives a 95% CI)
    utility_feedback: bool = False  # improvers may read `utility.feedback` (beyond the paper)
    meta_utility_budget: int = 25  # meta-utility calls per self-improvement step
    meta_utility_tests: int = 5  # downstream improver runs averaged by one meta-utility call
    secret_runs: int = 5  # independent runs behind each reported (secret) meta-utility
    temperature: float = 0.7
    max_tokens: int = 1024
    # The embedded model ends an answer after its first code block (see stop.lm.registry).
    stop_after_code_block: bool = True
    acceptance: str = "best"  # "best": keep the better of parent and candidate; "paper": any > 0
    transfer_tasks: tuple[str, ...] = NON_LPN_TASKS
    transfer_seeds: int = 3  # independent improver runs per (improver, task) in transfer
    lm_concurrency: int = 0  # concurrent LM requests; 0 = per backend (1 replay, else 8)
    sequential: bool = False  # run every improver run and LM request one after another
    improver_wall_seconds: float = 1800.0  # wall deadline of one improver run
    improver_cpu_seconds: float = 120.0  # CPU the improver's own code may use (not the LM's)
    require_isolation: bool = False  # refuse to run without namespace isolation
    cache: bool = True  # answer repeated LM requests from the store
    seed: int = 0  # seeds the visible utilities' instance draws
    executor: str = "local"  # where improver runs execute: "local" (threads) or "ray"
    ray_address: str = ""  # ray: "" starts a local Ray instance; "auto" or host:port joins one
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes stored with the run

    def effective_lm_concurrency(self) -> int:
        if self.sequential:
            return 1
        if self.lm_concurrency > 0:
            return self.lm_concurrency
        # The embedded model draws concurrent requests in one batch (stop.lm.llamacpp_batch).
        return 1 if self.model.startswith("replay") else 8

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["transfer_tasks"] = list(self.transfer_tasks)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentConfig:
        return _build(dict(data))


PRESETS: dict[str, dict[str, Any]] = {
    # The STOP paper's settings (design §2).
    "paper": {},
    # Small enough to finish in minutes on 2 cores with the embedded 0.5B model.
    "demo": {
        "iterations": 2,
        "lm_budget": 1,
        "max_responses_per_call": 2,
        "utility_budget": 3,
        "meta_utility_budget": 3,
        "meta_utility_tests": 1,
        "secret_runs": 2,
        # max_tokens stays the paper's 1024: at 640, 6 of the demo's 14 answers (the rewritten
        # improvers) were cut off and all 3 generated improvers failed with a syntax error.
        "transfer_tasks": ("string_grid_distance",),
        "transfer_seeds": 1,
        "improver_wall_seconds": 600.0,
    },
}


def _field_types() -> dict[str, Any]:
    return {f.name: f for f in dataclasses.fields(ExperimentConfig)}


def _coerce(name: str, raw: Any, origin: str = "") -> Any:
    """Turn a TOML value or a `key=value` string into the field's type, or say what is wrong."""
    return coerce(name, raw, getattr(ExperimentConfig(), name), origin)


def _build(values: dict[str, Any], origins: dict[str, str] | None = None) -> ExperimentConfig:
    """The config of `values`; `origins` says where each came from, for the error messages."""
    origins = origins or {}
    known = _field_types()
    unknown = sorted(set(values) - set(known))
    if unknown:
        sources = sorted({origins[k] for k in unknown if origins.get(k)})
        where = f" (from {', '.join(sources)})" if sources else ""
        raise ConfigError(
            f"unknown config key(s) {', '.join(unknown)}{where}; known keys:"
            f" {', '.join(sorted(known))}"
        )
    typed = {k: _coerce(k, v, origins.get(k, "")) for k, v in values.items()}
    check_ranges(typed, origins)
    config = ExperimentConfig(**typed)
    if config.acceptance not in ("best", "paper"):
        raise ConfigError("acceptance must be 'best' or 'paper'")
    if config.executor not in ("local", "ray"):
        raise ConfigError(f"executor must be 'local' or 'ray', not {config.executor!r}")
    return config


def resolve_config(
    preset: str = "paper",
    config_file: Path | None = None,
    overrides: list[str] | None = None,
    defaults: dict[str, Any] | None = None,
    **flags: Any,
) -> ExperimentConfig:
    """A command's own `defaults`, then the preset, then the TOML file, then `key=value`
    overrides, then explicit flags (not None): each later one wins."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    values: dict[str, Any] = {**(defaults or {}), **PRESETS[preset]}
    origins = {k: "the command's default" for k in defaults or {}}
    origins.update({k: f"preset {preset}" for k in PRESETS[preset]})
    if config_file is not None:
        text = read_text_file(config_file, error=ConfigError, what="config file", max_bytes=MiB)
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config_file} is not valid TOML: {exc}") from exc
        values.update(table)
        origins.update({k: str(config_file) for k in table})
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} is not key=value (e.g. iterations=2)")
        key = key.strip().replace("-", "_")
        values[key], origins[key] = value.strip(), f"--set {item}"
    given = {k: v for k, v in flags.items() if v is not None}
    values.update(given)
    origins.update({k: f"--{k.replace('_', '-')}" for k in given})
    return _build(values, origins)
