"""Improvers run in a confined child and reach the host only through RPC proxies."""

from __future__ import annotations

import dataclasses
import json
import resource
import threading
import uuid
from pathlib import Path

import pytest

from stop.errors import BudgetExceeded, SandboxError
from stop.lm import BudgetedLanguageModel, ScriptedModel
from stop.sandbox import Isolation, Limits, run_improver
from stop.sandbox.improver import MAX_EVENTS
from tests.sandbox_helpers import host_ipc_keys, host_mqueues, processes_with

LIMITS = Limits(cpu_seconds=5, wall_seconds=20)
HOSTILE = Path(__file__).parent / "hostile" / "improvers"
SEED = "def algorithm(x):\n    return x\n"


class ScriptedUtility:
    """A plain host utility: records calls, returns 0 past its budget."""

    str = "Scores an algorithm in [0, 1]."
    budget = 3

    def __init__(self) -> None:
        self.uses = 0
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, source: str, **kwargs: object) -> float:
        self.calls.append((source, kwargs))
        self.uses += 1
        return 0.0 if self.uses > self.budget else 0.25 * self.uses


class ScriptedLM:
    """Answers every message with one fenced program; raises past its call budget."""

    budget = 2
    max_responses_per_call = 3

    def __init__(self) -> None:
        self.calls = 0

    def batch_prompt(
        self, expertise: str, messages: list[str], temperature: float = 0.7
    ) -> list[str]:
        self.calls += 1
        if self.calls > self.budget:
            raise BudgetExceeded(f"language model budget of {self.budget} calls exhausted")
        return [
            f"Idea.\n```python\ndef algorithm(x):\n    return x + {i}\n```"
            for i, _ in enumerate(messages)
        ]

    def prompt(
        self, expertise: str, message: str, n_responses: int = 1, temperature: float = 0.7
    ) -> list[str]:
        return self.batch_prompt(expertise, [message] * n_responses, temperature)


def improve(source: str, limits: Limits = LIMITS, **kw):
    utility, lm = ScriptedUtility(), ScriptedLM()
    return run_improver(source, SEED, utility, lm, limits, **kw), utility, lm


def test_rpc_round_trip():
    source = (
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    responses = language_model.batch_prompt('expert', ['a', 'b'], temperature=0.5)\n"
        "    score = utility(initial_solution)\n"
        "    lm = language_model\n"
        "    return (f'{len(responses)} {score} {utility.uses} {utility.budget} {utility.str}'\n"
        "            f' {lm.budget} {lm.max_responses_per_call}')\n"
    )
    result, utility, lm = improve(source)
    assert result.ok, result.error
    assert result.value == "2 0.25 1 3 Scores an algorithm in [0, 1]. 2 3"
    assert utility.calls == [(SEED, {})] and lm.calls == 1


def test_budget_exception_is_raised_in_the_child_with_its_message():
    source = (
        "from stop.errors import BudgetExceeded\n"
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    for _ in range(5):\n"
        "        try:\n"
        "            language_model.prompt('expert', 'again')\n"
        "        except BudgetExceeded as exc:\n"
        "            return 'caught: ' + str(exc)\n"
    )
    result, _, lm = improve(source)
    assert result.value == "caught: language model budget of 2 calls exhausted"
    assert lm.calls == 3
    assert [e["kind"] for e in result.events] == ["budget_exceeded"]


def test_use_sandbox_false_is_forwarded_and_evented():
    source = (
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    utility(initial_solution, use_sandbox=False)\n"
        "    return initial_solution\n"
    )
    result, utility, _ = improve(source)
    assert result.ok and utility.calls == [(SEED, {"use_sandbox": False})]
    assert result.events[0]["kind"] == "use_sandbox_false"


def test_a_refused_read_is_refused_in_the_child_and_recorded_by_the_host():
    source = (
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    try:\n"
        "        language_model.api_key\n"
        "    except AttributeError as exc:\n"
        "        refused = str(exc)\n"
        "    return f'{refused} | {utility.budget}'\n"
    )
    result, _, _ = improve(source)
    # The host sent no answer to the one-way notice: the next read got its own answer.
    assert result.value == "language_model.api_key is not available to improvers | 3"
    assert result.events == [
        {
            "kind": "proxy_misuse",
            "op": "getattr",
            "target": "language_model",
            "name": "api_key",
            "value": None,
        }
    ]


def test_helpers_extract_code_is_importable_both_ways():
    source = (
        "from helpers import extract_code\n"
        "from stop.helpers import extract_code as extract_code_2\n"
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    responses = language_model.batch_prompt('expert', ['improve'])\n"
        "    assert extract_code(responses) == extract_code_2(responses)\n"
        "    return extract_code(responses)[0]\n"
    )
    result, _, _ = improve(source)
    assert result.ok and result.value == "def algorithm(x):\n    return x + 0"


def test_non_str_return_is_bad_output():
    result, _, _ = improve("def improve_algorithm(s, u, lm):\n    return 42\n")
    assert result.status == "bad_output" and "int" in result.error and result.value is None


def test_exception_in_improver_is_reported_with_traceback():
    result, _, _ = improve("def improve_algorithm(s, u, lm):\n    raise KeyError('boom')\n")
    assert result.status == "exception" and "KeyError: 'boom'" in result.error


def test_improver_cpu_limit_counts_only_its_own_cpu():
    class SlowLM(ScriptedLM):
        def batch_prompt(self, expertise, messages, temperature=0.7):
            threading.Event().wait(1.5)  # the host is slow; the child only waits
            return super().batch_prompt(expertise, messages, temperature)

    source = "def improve_algorithm(s, u, lm):\n    return lm.batch_prompt('e', ['m'])[0]\n"
    result = run_improver(
        source, SEED, ScriptedUtility(), SlowLM(), Limits(cpu_seconds=1, wall_seconds=10)
    )
    assert result.ok and result.wall_seconds >= 1.5


def test_improver_wall_deadline_kills_it():
    source = "import time\ndef improve_algorithm(s, u, lm):\n    time.sleep(60)\n"
    result, _, _ = improve(source, Limits(wall_seconds=1))
    assert result.status == "timeout" and result.wall_seconds < 5
    assert any(e["kind"] == "deadline_kill" for e in result.events)


def test_concurrent_improver_runs_do_not_block_each_other():
    class SlowLM(ScriptedLM):
        def batch_prompt(self, expertise, messages, temperature=0.7):
            threading.Event().wait(1.0)
            return super().batch_prompt(expertise, messages, temperature)

    source = "def improve_algorithm(s, u, lm):\n    return lm.batch_prompt('e', ['m'])[0]\n"
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                run_improver(source, SEED, ScriptedUtility(), SlowLM(), LIMITS)
            )
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r.ok for r in results)
    assert max(r.wall_seconds for r in results) < 3.5  # 4 x 1 s LM waits overlapped


def test_isolation_required_refuses_without_namespaces():
    none = Isolation(False, False, False, False, True, "rlimits", ["simulated"])
    with pytest.raises(SandboxError, match="isolation required"):
        improve(
            "def improve_algorithm(s, u, lm):\n    return s\n",
            isolation_required=True,
            isolation=none,
        )


HOSTILE_IMPROVERS = sorted(HOSTILE.glob("*.py"))


def _header(source: str, key: str) -> list[str]:
    return next(
        (
            line.split(":", 1)[1].split()
            for line in source.splitlines()
            if line.startswith(f"# {key}:")
        ),
        [],
    )


HOSTILE_LIMITS = Limits(cpu_seconds=1, wall_seconds=5)
HOSTILE_KEYS = range(0x570700, 0x570800)  # the SysV IPC keys hostile programs use


def hostile_lm(model: ScriptedModel) -> BudgetedLanguageModel:
    """The real improver-facing LM proxy (budget 2 calls of up to 3 responses) on a fake model."""
    return BudgetedLanguageModel(model, budget=2, max_responses_per_call=3)


@pytest.mark.parametrize("program", HOSTILE_IMPROVERS, ids=[p.stem for p in HOSTILE_IMPROVERS])
def test_hostile_improver_is_contained(program, monkeypatch):
    """Each file starts with `# expect: STATUS...`, optionally `# event: KIND...` (events the
    run must record) and `# limits: key=value ...`; `{MARKER}` in it becomes a unique token
    that any process it leaves behind would carry in its command line."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-improver-test")
    marker = f"stop-hostile-{uuid.uuid4().hex}"
    source = program.read_text().replace("{MARKER}", marker)
    overrides = dict(item.split("=") for item in _header(source, "limits"))
    limits = dataclasses.replace(HOSTILE_LIMITS, **{k: int(v) for k, v in overrides.items()})
    assert limits.max_processes <= 4 and limits.wall_seconds <= 5
    model = ScriptedModel(["```python\ndef algorithm(x):\n    return x\n```"])
    utility, lm = ScriptedUtility(), hostile_lm(model)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_improver(source, SEED, utility, lm, limits)
    assert result.status in _header(source, "expect"), (result.status, result.error)
    kinds = {e["kind"] for e in result.events}
    assert set(_header(source, "event")) <= kinds, result.events
    # Budgets live on the host and are untouched by anything the improver did.
    assert utility.budget == 3 and lm.budget == 2 and utility.uses == len(utility.calls)
    assert all(0 <= r.temperature <= 2 for r in model.requests)
    assert "sk-improver-test" not in (result.value or "") + result.stdout + result.stderr
    # Bounded: in time, in host memory, in what it can make the host record.
    assert result.wall_seconds < limits.wall_seconds + 3
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert grown < 100_000, f"host memory grew by {grown} KiB"
    assert len(result.events) <= MAX_EVENTS + 1
    assert all(len(json.dumps(e)) < 2_000 for e in result.events)
    # Nothing of it outlives the run, in the process table or in the host's IPC namespace.
    assert processes_with(marker) == []
    assert host_ipc_keys(HOSTILE_KEYS) == [] and host_mqueues(["/stop-hostile-mq"]) == []


def test_example_usage_after_the_improver_is_not_run():
    # What the embedded model appends to improvers it writes: it used to end them with a
    # NameError before improve_algorithm was called.
    source = (
        "from helpers import extract_code\n"
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    return extract_code(language_model.batch_prompt('expert', [PROMPT]))[0]\n"
        "PROMPT = 'improve'\n"
        "# Example usage\n"
        "utility = MetaUtility()\n"
        "print(improve_algorithm('x = 1', utility, language_model))\n"
    )
    result, _, _ = improve(source)
    assert result.ok and result.value == "def algorithm(x):\n    return x + 0"
    # The record says which lines did not run (the assignment and the print).
    assert result.events[0] == {
        "kind": "source_trimmed",
        "dropped": "[[6, 6], [7, 7]]",
        "cut_from": None,
    }


def test_code_before_the_improver_still_runs():
    source = "raise KeyError('setup')\ndef improve_algorithm(s, u, lm):\n    return s\n"
    result, _, _ = improve(source)
    assert result.status == "exception" and "KeyError: 'setup'" in result.error


def test_a_syntax_error_in_an_improver_is_reported_with_its_line():
    result, _, _ = improve("def improve_algorithm(s, u, lm):\n    return s /\n")
    assert result.status == "exception" and "line 2" in result.error


def test_an_improver_cut_off_after_its_definition_runs_without_the_cut_statement():
    # The answer ran out of tokens while copying the meta-utility after improve_algorithm.
    source = (
        "def improve_algorithm(initial_solution, utility, language_model):\n"
        "    return initial_solution\n"
        "\n"
        "def meta_utility(improve_str):\n"
        "    total = 0\n"
        "    return total /"
    )
    result, _, _ = improve(source)
    assert result.ok and result.value == SEED
    assert result.events == [{"kind": "source_trimmed", "dropped": "[]", "cut_from": 4}]


def test_an_improver_run_as_written_records_no_trim():
    result, _, _ = improve("def improve_algorithm(s, u, lm):\n    return s\nX = 1\n")
    assert result.ok and result.events == []


def test_an_improver_cut_off_inside_its_definition_is_a_syntax_error():
    result, _, _ = improve("def improve_algorithm(s, u, lm):\n    x = (\n")
    assert result.status == "exception" and "SyntaxError" in result.error


def test_a_syntax_error_followed_by_more_statements_is_not_cut_away():
    source = "def improve_algorithm(s, u, lm):\n    return s\ndef helper(:\n    pass\nX = 1\n"
    result, _, _ = improve(source)
    assert result.status == "exception" and "SyntaxError" in result.error
