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
        (["iterations=two"], "wants a whole number"),
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


# -- every value checked where it enters ------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("improver_wall_seconds=-5", "'improver_wall_seconds' .* must be a positive number"),
        ("utility_budget=-1", "'utility_budget' .* must be at least 1, got -1"),
        ("improver_cpu_seconds=inf", "'improver_cpu_seconds' .* wants a finite number"),
        ("max_tokens=-1", "'max_tokens' .* must be at least 1"),
        ("temperature=nan", "'temperature' .* wants a finite number, got 'nan'"),
        ("temperature=2.5", r"'temperature' .* must be in \[0.0, 2.0\]"),
        ("temperature=-0.1", r"'temperature' .* must be in \[0.0, 2.0\]"),
        ("iterations=2.5", "'iterations' .* wants a whole number"),
        ("secret_runs=0", "'secret_runs' .* must be at least 1"),
        ("transfer_seeds=0", "'transfer_seeds' .* must be at least 1"),
        ("sequential=maybe", "'sequential' .* wants true or false"),
    ],
)
def test_nonsense_values_are_refused_naming_the_key_and_the_flag(override, message):
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_config("paper", overrides=[override])
    assert f"--set {override}" in str(caught.value)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("iterations = inf", "'iterations' .* wants a whole number, got inf"),
        ("iterations = nan", "'iterations' .* wants a whole number"),
        ("temperature = nan", "'temperature' .* wants a finite number"),
        ("improver_cpu_seconds = inf", "'improver_cpu_seconds' .* wants a finite number"),
        ("lm_budget = true", "'lm_budget' .* wants a whole number, got True"),
        ("model = 7", "'model' .* wants a string, got 7"),
        ("transfer_tasks = [1, 2]", "'transfer_tasks' .* wants a list of names"),
        ("iterationz = 2", "unknown config key.*iterationz"),
    ],
)
def test_a_bad_value_in_a_toml_file_names_the_file(tmp_path, toml, message):
    path = tmp_path / "mine.toml"
    path.write_text(toml + "\n")
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_config("paper", path)
    assert "mine.toml" in str(caught.value)


def test_whole_numbers_written_as_floats_are_accepted():
    assert resolve_config("paper", overrides=["iterations=3.0"]).iterations == 3


def test_a_non_utf8_toml_file_is_a_config_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'model = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"latin1.toml is not UTF-8 \(byte 12, line 1\)"):
        resolve_config("paper", path)


def test_a_missing_toml_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="config file .*nope.toml not found"):
        resolve_config("paper", tmp_path / "nope.toml")


def test_a_stored_config_with_nonsense_is_refused_too():
    data = {**ExperimentConfig().to_dict(), "temperature": float("nan")}
    with pytest.raises(ConfigError, match="'temperature' wants a finite number"):
        ExperimentConfig.from_dict(data)


def test_a_commands_default_gives_way_to_the_preset_the_file_set_and_flags(tmp_path):
    mine = {"model": "local:qwen2.5-coder-1.5b", "iterations": 7}
    assert resolve_config("paper", defaults=mine).model == "local:qwen2.5-coder-1.5b"
    assert resolve_config("demo", defaults=mine).iterations == 2  # the preset sets it
    toml = tmp_path / "c.toml"
    toml.write_text('model = "openai:gpt-4o"\n')
    assert resolve_config("paper", toml, defaults=mine).model == "openai:gpt-4o"
    assert resolve_config("paper", overrides=["model=local"], defaults=mine).model == "local"
    assert resolve_config("paper", defaults=mine, model="anthropic:x").model == "anthropic:x"
