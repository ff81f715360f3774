"""The `best_first` improver, driven through the real sandbox and utility by a scripted model
whose answers are the ways small models go wrong (design §5b)."""

import pytest

from stop.experiment.config import resolve_config
from stop.experiment.runs import improve
from stop.improvers import improver_source
from stop.lm.scripted import ScriptedModel
from stop.store import Store
from tests.experiment_fixtures.scripted import BRUTE_FORCE, MAJORITY

IDEAS = [
    "local search",
    "try every one of them",
    "numpy arrays and vectorised operations",
]  # the first words of best_first's first three ideas

MAJORITY_REFORMATTED = MAJORITY.replace(
    "    label =", "    # same program, other layout\n    label ="
)
MISSING_MODULE = "import sklearn\n" + MAJORITY
MISSING_INSIDE = MAJORITY.replace("    label =", "    import tensorflow as tf\n    label =")
COPIED_UTILITY = (
    BRUTE_FORCE
    + "\ndef utility(algorithm_str):\n    return 1.0\n"
    + "\nprint(algorithm([[0] * 10], [0], [[0] * 10]))\n"
    + "\nif __name__ == '__main__':\n    print(utility('x'))\n"
)
RENAMED = MAJORITY.replace("def algorithm(", "def predict_parity(")


def fence(code: str) -> str:
    return f"Here is the program.\n```python\n{code.strip()}\n```\nIt should score higher."


def cut_off(code: str) -> str:
    """An answer that stopped at max_tokens: no closing fence, the last line unfinished."""
    return f"```python\n{code.strip()}\n\nresult = algorithm(train_samples, train_par"


def run_best_first(tmp_path, answers: list[str], task: str = "lpn") -> tuple[Store, str, object]:
    config = resolve_config(
        "paper",
        overrides=["lm_budget=1", f"max_responses_per_call={len(answers)}", "utility_budget=25"],
        model="scripted",
    )
    store = Store(tmp_path / "runs.db")
    result = improve(
        config, store, task, improver_source("best_first"), model=ScriptedModel(answers)
    )
    return store, result.run_id, result.outcome


def prompts_sent(tmp_path, answers: list[str], overrides: list[str]) -> list[str]:
    """The user prompts best_first sent on LPN, answered by a scripted model."""
    model = ScriptedModel(answers)
    config = resolve_config("paper", overrides=overrides, model="scripted")
    improve(config, Store(tmp_path / "r.db"), "lpn", improver_source("best_first"), model=model)
    return [request.messages[-1]["content"] for request in model.requests]


def scored_sources(store: Store, run_id: str) -> list[str]:
    rows = store.query(
        "SELECT source FROM evaluations WHERE run_id = ? AND utility = 'visible'", (run_id,)
    )
    return [row["source"] for row in rows]


@pytest.mark.slow
def test_a_duplicate_candidate_does_not_spend_a_utility_call(tmp_path):
    store, run_id, _ = run_best_first(tmp_path, [fence(MAJORITY), fence(MAJORITY_REFORMATTED)])
    sources = scored_sources(store, run_id)
    assert not any("other layout" in source for source in sources)


@pytest.mark.slow
def test_a_candidate_importing_a_missing_module_is_not_scored(tmp_path):
    store, run_id, _ = run_best_first(tmp_path, [fence(MISSING_MODULE), fence(MAJORITY)])
    sources = scored_sources(store, run_id)
    assert not any("sklearn" in source for source in sources)
    assert any("label = int(" in source for source in sources)  # the other one is


@pytest.mark.slow
def test_a_missing_module_imported_inside_a_function_is_refused_too(tmp_path):
    store, run_id, _ = run_best_first(tmp_path, [fence(MISSING_INSIDE)])
    assert not any("tensorflow" in source for source in scored_sources(store, run_id))


@pytest.mark.slow
def test_a_truncated_answer_keeps_its_complete_code(tmp_path):
    store, run_id, outcome = run_best_first(tmp_path, [cut_off(BRUTE_FORCE)])
    assert any("np.argmax(agree)" in source for source in scored_sources(store, run_id))
    assert outcome.status == "ok" and "np.argmax(agree)" in outcome.solution
    assert outcome.score > 0.9  # the exact solver, salvaged, wins on the test split


@pytest.mark.slow
def test_a_copied_utility_and_top_level_test_code_are_dropped(tmp_path):
    store, run_id, outcome = run_best_first(tmp_path, [fence(COPIED_UTILITY)])
    candidate = next(s for s in scored_sources(store, run_id) if "np.argmax" in s)
    assert "def utility" not in candidate and "print(" not in candidate
    assert outcome.score > 0.9


@pytest.mark.slow
def test_a_renamed_entry_point_is_called_under_the_expected_name(tmp_path):
    store, run_id, _ = run_best_first(tmp_path, [fence(RENAMED)])
    candidate = next(s for s in scored_sources(store, run_id) if "predict_parity" in s)
    assert "algorithm = predict_parity" in candidate


@pytest.mark.slow
def test_each_call_asks_for_a_different_idea(tmp_path):
    prompts = prompts_sent(tmp_path, [fence(MAJORITY)], ["lm_budget=3", "max_responses_per_call=2"])
    assert len(prompts) == 6 and len(set(prompts)) == 6  # per call: the best shown, and not
    ideas = [next(idea for idea in IDEAS if idea in p) for p in prompts]
    assert ideas == [IDEAS[0], IDEAS[0], IDEAS[1], IDEAS[1], IDEAS[2], IDEAS[2]]
    assert all("numpy" in p and "def algorithm(" in p for p in prompts)


@pytest.mark.slow
def test_half_the_samples_start_from_scratch_without_the_current_program(tmp_path):
    prompts = prompts_sent(tmp_path, [fence(MAJORITY)], ["lm_budget=1", "max_responses_per_call=4"])
    shown = ["The current program" in p for p in prompts]
    assert shown.count(True) == shown.count(False) == 2


BROKEN = "def algorithm(train_samples, train_parity, test_samples):\n    return undefined_name\n"


def repair_prompts(tmp_path, feedback: bool) -> list[str]:
    overrides = ["lm_budget=2", "max_responses_per_call=2", f"utility_feedback={feedback}"]
    prompts = prompts_sent(tmp_path, [fence(BROKEN), fence(MAJORITY)], overrides)
    return [p for p in prompts if "What went wrong" in p]


@pytest.mark.slow
def test_with_feedback_a_failed_candidate_gets_one_repair_prompt_with_its_error(tmp_path):
    [repair] = repair_prompts(tmp_path, feedback=True)
    assert "undefined_name" in repair and "NameError" in repair


@pytest.mark.slow
def test_without_feedback_no_error_text_reaches_the_model(tmp_path):
    assert repair_prompts(tmp_path, feedback=False) == []


@pytest.mark.slow
def test_utility_calls_the_samples_left_over_tune_the_best_programs_constants(tmp_path):
    config = resolve_config(
        "paper",
        overrides=["lm_budget=1", "max_responses_per_call=2", "utility_budget=6"],
        model="scripted",
    )
    store = Store(tmp_path / "runs.db")
    model = ScriptedModel(["I would rather not write code."])
    result = improve(config, store, "three_sat", improver_source("best_first"), model=model)
    sources = scored_sources(store, result.run_id)
    assert len(sources) == 6  # the seed, then five variants of its constants
    assert any("max_iter=2000" in source for source in sources)
    assert any("p=0.8" in source for source in sources)


NO_IMPORT = MAJORITY.replace("label = int(", "label = int(0 * np.sum(train_parity) + ")


@pytest.mark.slow
def test_a_forgotten_numpy_import_is_added(tmp_path):
    store, run_id, _ = run_best_first(tmp_path, [fence(NO_IMPORT)])
    candidate = next(s for s in scored_sources(store, run_id) if "np.sum" in s)
    assert candidate.startswith("import numpy as np")


# Calls the string grid utility's own helper, and `combinations`, without defining either.
USES_UTILITY_HELPER = """\
def algorithm(t: str, dist: int):
    for flips in range(len(t) + 1):
        for where in combinations(range(len(t)), flips):
            s = "".join(("B" if c == "A" else "A") if i in where else c for i, c in enumerate(t))
            if grid_dist(s, t) == dist:
                return s
    return t
"""


@pytest.mark.slow
def test_a_call_of_the_utilitys_helper_gets_its_definition(tmp_path):
    answers = [fence(USES_UTILITY_HELPER)]
    store, run_id, _ = run_best_first(tmp_path, answers, task="string_grid_distance")
    rows = store.query(
        "SELECT source, score FROM evaluations WHERE run_id = ? AND source LIKE '%where%'",
        (run_id,),
    )
    assert rows and "def grid_dist(s: str, t: str):" in rows[0]["source"]
    assert "from itertools import combinations" in rows[0]["source"]
    assert rows[0]["score"] > 0.5  # it runs: exact on the short strings at least


@pytest.mark.slow
def test_the_prompt_shows_what_the_utility_asks_but_not_how_it_draws_instances(tmp_path):
    [prompt] = prompts_sent(
        tmp_path, [fence(MAJORITY)], ["lm_budget=1", "max_responses_per_call=1"]
    )
    assert "train_samples of shape (100, 10)" in prompt  # the docstring: what is asked
    assert "np.random.binomial(1, p_true" not in prompt  # the generator: left out
