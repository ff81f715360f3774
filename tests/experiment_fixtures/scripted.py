"""A scripted LM whose answers are real improver and solution sources, for experiment tests.

Improver-level requests (the message shows an `improve_algorithm`) get, by position in the
batch: a hill-climbing improver, a broken one, one passing `use_sandbox=False`, and one that
asks for more responses than allowed. Solution-level requests get an exact brute-force LPN
solver when the prompt carries a score (as the hill climber's does) and a majority-vote
guesser otherwise, so the hill climber measurably beats the seed improver.
"""

from stop.improvers import improver_source
from stop.lm.scripted import ScriptedModel

BRUTE_FORCE = """
import numpy as np

def algorithm(train_samples, train_parity, test_samples):
    x = np.asarray(train_samples) % 2
    y = np.asarray(train_parity) % 2
    n = x.shape[1]
    subsets = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    agree = ((subsets @ x.T) % 2 == y).sum(axis=1)
    best = subsets[int(np.argmax(agree))]
    return [int(v) for v in (np.asarray(test_samples) @ best) % 2]
"""

MAJORITY = """
def algorithm(train_samples, train_parity, test_samples):
    label = int(sum(train_parity) * 2 >= len(train_parity))
    return [label] * len(test_samples)
"""

BROKEN_IMPROVER = "def improve_algorithm(initial_solution, utility, language_model):\n    return ("

SANDBOX_OFF_IMPROVER = improver_source("seed").replace(
    "score = utility(candidate)", "score = utility(candidate, use_sandbox=False)"
)

GREEDY_IMPROVER = """
def improve_algorithm(initial_solution, utility, language_model):
    n = language_model.max_responses_per_call + 1
    return language_model.batch_prompt("expert", ["improve"] * n)[0]
"""

IMPROVERS = [
    s.strip()
    for s in (improver_source("hill_climb"), BROKEN_IMPROVER, SANDBOX_OFF_IMPROVER, GREEDY_IMPROVER)
]


# Budgets small enough for a whole scripted self-improvement (T=2, transfer) in seconds.
SMALL = [
    "iterations=2",
    "lm_budget=2",
    "max_responses_per_call=4",
    "utility_budget=6",
    "meta_utility_budget=6",
    "meta_utility_tests=2",
    "secret_runs=2",
    "transfer_tasks=parity",
    "transfer_seeds=2",
    "improver_wall_seconds=120",
]


def fence(code: str) -> str:
    return f"Idea: try this.\n```python\n{code.strip()}\n```"


def respond(messages, sample_index):
    prompt = messages[-1]["content"]
    position = sample_index % 1000
    if "def improve_algorithm" in prompt:
        return fence(IMPROVERS[position % len(IMPROVERS)])
    return fence(BRUTE_FORCE if "its score is" in prompt else MAJORITY)


def scripted_model() -> ScriptedModel:
    return ScriptedModel(respond, name="scripted:experiment")
