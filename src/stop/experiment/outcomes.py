"""Why a sampled program did not count: the failure kinds of design §5b, from recorded data.

A *valid candidate* is a sampled program that runs on the visible utility and scores above 0,
even if some of the utility's instances failed (the seed solutions of several tasks time out on
their largest instances, and a candidate that does the same still competes on its mean).
Every other sample gets one kind, so a table can say why an improver found nothing:

    truncated        the answer stopped at max_tokens and its code does not work
    no_code          no fenced code block in the answer
    syntax           the code does not parse
    missing_module   it imports a module the sandbox does not have (sklearn, tensorflow...)
    entry_point      the function the utility calls is missing or has another signature
    exception        it raised while running
    limit            it broke a CPU, memory, process or sandbox limit
    invalid_output   it returned something of the wrong type, shape or values
    zero_score       it ran and returned valid output that scored 0

The kinds are read off a `Score` (its status and the tail of the error it carries) and the
completion's `finish_reason`: no extra evaluation is needed, so reports can classify stored runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from stop.experiment.utilities import source_digest
from stop.store import Store

FAILURE_KINDS = (
    "truncated",
    "no_code",
    "syntax",
    "missing_module",
    "entry_point",
    "exception",
    "limit",
    "invalid_output",
    "zero_score",
)

# Candidate improvers in self-improvement can also break a budget, or run fine and score no
# better than their parent.
CANDIDATE_KINDS = (*FAILURE_KINDS, "budget", "no_better")

_LIMIT_STATUSES = frozenset({"timeout", "memory", "killed", "violation"})
_OUTPUT_STATUSES = frozenset({"invalid_output", "bad_output"})
_SYNTAX_MARKERS = ("SyntaxError", "IndentationError", "TabError")
_IMPORT_MARKERS = ("ModuleNotFoundError", "No module named", "ImportError")
_ENTRY_MARKERS = ("is not defined by the source", "positional argument", "keyword argument")


def evaluation_failure(value: float, status: str, detail: str) -> str | None:
    """The failure kind of one evaluation of a program, or None when it is a valid candidate."""
    if value > 0:
        return None
    if status == "ok":
        return "zero_score"
    if status in _LIMIT_STATUSES:
        return "limit"
    if status in _OUTPUT_STATUSES:
        return "invalid_output"
    text = detail or ""
    for kind, markers in (
        ("syntax", _SYNTAX_MARKERS),
        ("missing_module", _IMPORT_MARKERS),
        ("entry_point", _ENTRY_MARKERS),
    ):
        if any(marker in text for marker in markers):
            return kind
    if status == "invalid_source":
        return "no_code"
    return "exception"


def sample_failure(
    code: str | None, finish_reason: str, evaluated: tuple[float, str, str] | None
) -> str | None:
    """The failure kind of one sampled answer: its extracted `code` (None: no code block), how
    generation ended, and its evaluation as (value, status, detail) if it was evaluated.

    A cut-off answer whose code still works is valid (nothing was lost); one whose code fails is
    counted as truncated, since the cut is the likelier cause than what the error says."""
    if code is None:
        return "truncated" if finish_reason == "length" else "no_code"
    if evaluated is None:
        return "truncated" if finish_reason == "length" else "exception"
    failure = evaluation_failure(*evaluated)
    if failure is not None and finish_reason == "length":
        return "truncated"
    return failure


def count_failures(kinds: Iterable[str | None]) -> dict[str, int]:
    """How many of each failure kind (valid candidates, the Nones, are not counted), in the
    order of FAILURE_KINDS."""
    counts = Counter(kind for kind in kinds if kind is not None)
    return {kind: counts[kind] for kind in CANDIDATE_KINDS if counts[kind]}


def describe_failures(counts: dict[str, int]) -> str:
    """`"3 truncated, 2 syntax"`: the counts, most frequent first; "" when there are none."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], CANDIDATE_KINDS.index(item[0])))
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in ordered)


@dataclass(frozen=True)
class SampleSummary:
    """What the LM's samples in a run came to, from the run store."""

    samples: int  # answers the LM gave
    cut_off: int  # of them, stopped at max_tokens
    scored: int  # distinct programs the improver scored (the initial solution aside)
    valid: int  # of them, scoring above 0
    failures: dict[str, int]  # failure kinds of the scored programs that were not valid

    def describe(self) -> str:
        text = f"{self.samples} samples ({self.cut_off} cut off at max_tokens), {self.scored}"
        text += f" programs scored, {self.valid} valid"
        if self.samples > self.scored:
            text += f"; {self.samples - self.scored} samples not scored (no code, a duplicate,"
            text += " or refused by the improver's own checks)"
        why = describe_failures(self.failures)
        return f"{text}; failures: {why}" if why else text


def summarise_samples(store: Store, run_id: str, initial_source: str) -> SampleSummary:
    """Count a run's samples and classify the programs its improvers scored (visible utility)."""
    samples = store.query(
        "SELECT finish_reason FROM lm_calls WHERE run_id = ? AND error IS NULL", (run_id,)
    )
    rows = store.query(
        "SELECT source, score, status, detail FROM evaluations"
        " WHERE run_id = ? AND utility = 'visible' ORDER BY id",
        (run_id,),
    )
    first: dict[str, tuple[float, str, str]] = {}
    for row in rows:
        if row["source"].strip() != initial_source.strip():
            first.setdefault(row["source"], (row["score"], row["status"], row["detail"] or ""))
    kinds = [evaluation_failure(*evaluated) for evaluated in first.values()]
    return SampleSummary(
        samples=len(samples),
        cut_off=sum(1 for row in samples if row["finish_reason"] == "length"),
        scored=len(first),
        valid=sum(1 for kind in kinds if kind is None),
        failures=count_failures(kinds),
    )


def candidate_failures(
    store: Store, run_id: str, iteration: int, parent_source: str, parent_score: float
) -> dict[str, int]:
    """Why the candidate improvers of a self-improvement step were not better than the parent:
    each candidate's validation runs (events keyed by its source digest) give its kind."""
    runs: dict[str, list[dict]] = {}
    for event in store.events(run_id, "improver_run"):
        split, _, rest = str(event.get("key", "")).partition("/")
        if split == "validation":
            runs.setdefault(rest.partition("/")[0], []).append(event)
    rows = store.query(
        "SELECT source, meta_utility FROM improvers WHERE run_id = ? AND iteration = ?",
        (run_id, iteration),
    )
    kinds = []
    for row in rows:
        if row["source"] == parent_source:
            continue
        score = row["meta_utility"] or 0.0
        kinds.append(
            _candidate_kind(runs.get(source_digest(row["source"]), []), score, parent_score)
        )
    return count_failures(kinds)


def _candidate_kind(runs: list[dict], score: float, parent_score: float) -> str | None:
    if score > parent_score:
        return None
    failed = [run for run in runs if run.get("status") != "ok"]
    if runs and len(failed) == len(runs):
        status = str(failed[0].get("status"))
        if status == "budget":
            return "budget"
        return evaluation_failure(0.0, status, str(failed[0].get("reason", "")))
    return "zero_score" if score <= 0 else "no_better"
