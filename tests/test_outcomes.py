"""Failure kinds of sampled programs (design §5b), read off real sandbox scores."""

import pytest

from stop.experiment.outcomes import (
    count_failures,
    describe_failures,
    evaluation_failure,
    sample_failure,
)
from stop.tasks import load_task

WORKS = "def algorithm(a, b, c):\n    return [0] * len(c)\n"


@pytest.fixture(scope="module")
def lpn():
    return load_task("lpn")


def kind_of(task, code: str | None, finish_reason: str = "stop") -> str | None:
    evaluated = None
    if code is not None:
        score = task.score(code, split="visible", seed=7)
        evaluated = (score.value, score.status, score.detail)
    return sample_failure(code, finish_reason, evaluated)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (WORKS, None),
        ("def algorithm(a, b, c):\n    return [0] *", "syntax"),
        ("import sklearn\n" + WORKS, "missing_module"),
        (WORKS.replace("algorithm", "predict"), "entry_point"),
        ("def algorithm(a):\n    return [0]", "entry_point"),
        ("def algorithm(a, b, c):\n    return undefined_name", "exception"),
        ("def algorithm(a, b, c):\n    while True:\n        pass", "limit"),
        ("def algorithm(a, b, c):\n    return [0] * 19", "invalid_output"),
    ],
)
def test_a_sample_is_classified_by_what_went_wrong(lpn, code, kind):
    assert kind_of(lpn, code) == kind


def test_an_answer_without_a_code_block_has_no_code(lpn):
    assert kind_of(lpn, None) == "no_code"


def test_a_cut_off_answer_whose_code_fails_counts_as_truncated(lpn):
    assert kind_of(lpn, "def algorithm(a, b, c):\n    return [0] *", "length") == "truncated"
    assert kind_of(lpn, None, "length") == "truncated"


def test_a_cut_off_answer_whose_code_works_is_valid(lpn):
    assert kind_of(lpn, WORKS, "length") is None


def test_a_program_that_runs_but_scores_zero_is_not_valid():
    assert evaluation_failure(0.0, "ok", "mean 0.000 over 3 instances") == "zero_score"


def test_a_program_that_scores_above_zero_is_valid_even_if_some_instances_failed():
    assert evaluation_failure(0.63, "timeout", "1/3 instances timeout") is None
    assert evaluation_failure(0.0, "timeout", "3/3 instances timeout") == "limit"


def test_counts_list_kinds_in_a_fixed_order_and_describe_the_most_frequent_first():
    counts = count_failures(["syntax", None, "truncated", "syntax", None])
    assert counts == {"truncated": 1, "syntax": 2}
    assert describe_failures(counts) == "2 syntax, 1 truncated"
    assert describe_failures({}) == ""


def test_a_step_that_keeps_its_parent_says_what_its_candidates_came_to(tmp_path):
    from stop.experiment.config import resolve_config
    from stop.experiment.runs import self_improve
    from stop.lm.scripted import ScriptedModel
    from stop.store import Store
    from tests.experiment_fixtures.scripted import BROKEN_IMPROVER, MAJORITY, SMALL

    def respond(messages, sample_index):
        prompt = messages[-1]["content"]
        code = BROKEN_IMPROVER if "def improve_algorithm" in prompt else MAJORITY
        return f"```python\n{code}\n```"

    overrides = [*SMALL, "iterations=1"]
    config = resolve_config("paper", overrides=overrides, model="scripted:broken")
    result = self_improve(
        config, Store(tmp_path / "r.db"), model=ScriptedModel(respond), with_transfer=False
    )
    step = result.iterations[1]
    assert not step.accepted
    assert "syntax" in step.why
