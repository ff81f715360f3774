"""Experiment configuration: presets, TOML files and key=value overrides, with clear errors."""

import pytest

from stop.errors import ConfigError
from stop.experiment.config import ExperimentConfig, resolve_config


def test_the_paper_preset_has_the_papers_budgets():
    config = resolve_config("paper")
    assert (config.max_responses_per_call, config.lm_budget) == (6, 4)
    assert config.utility_budget == config.meta_utility_budget == 25
    assert config.meta_utility_tests == 5 and config.iterations == 4


def test_a_toml_file_overrides_the_preset_and_flags_override_the_file(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text('iterations = 3\nmodel = "openai:gpt-4o"\n')
    config = resolve_config("demo", path, ["max_tokens=200"], iterations=5)
    assert config.iterations == 5 and config.model == "openai:gpt-4o"
    assert config.max_tokens == 200 and config.lm_budget == 1  # demo's own value survives


def test_overrides_are_coerced_to_the_fields_type():
    config = resolve_config("paper", overrides=["sequential=yes", "transfer_tasks=max_cut,parity"])
    assert config.sequential is True
    assert config.transfer_tasks == ("max_cut", "parity")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["iterationz=2"], "unknown config key"),
        (["iterations"], "not key=value"),
        (["iterations=two"], "wants a int"),
        (["acceptance=greedy"], "acceptance must be"),
        (["executor=slurm"], "executor must be"),
    ],
)
def test_a_bad_override_names_what_is_wrong(overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config("paper", overrides=overrides)


def test_a_malformed_toml_file_is_a_config_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("iterations = = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_config("paper", path)


def test_the_resolved_config_round_trips_through_its_stored_form():
    config = resolve_config("demo", overrides=["seed=7"])
    assert ExperimentConfig.from_dict(config.to_dict()) == config
