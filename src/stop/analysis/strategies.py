"""Which strategies an improver uses, read statically from its source (AST and word patterns).

Each label cites the lines that triggered it. Static reading misses strategies written in
unusual ways and can be fooled by words in a prompt; `stop.analysis.judge` asks an LM for a
second opinion, and docs/analysis.md gives how often the two agree.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stop.analysis import structure
from stop.analysis.source_text import Word, matching_lines, words

# name -> (title, what the label means). The order is the order of report columns.
STRATEGIES: dict[str, tuple[str, str]] = {
    "genetic_algorithm": ("Genetic algorithm", "a population with crossover and/or mutation"),
    "beam_search": ("Beam search", "keeps the top-k candidates each round"),
    "simulated_annealing": (
        "Simulated annealing",
        "accepts worse candidates with a temperature-dependent probability",
    ),
    "bandit": ("Bandit", "UCB / epsilon-greedy / Thompson choice among prompts or arms"),
    "decomposition": ("Decomposition", "improves parts of the solution separately"),
    "temperature_schedule": ("Varied temperature", "LM temperature varies across calls"),
    "self_critique": ("Self-critique", "asks the LM to critique or reflect on a solution"),
    "restarts": ("Restarts", "restarts the search from the seed or from scratch"),
    "hill_climbing": (
        "Hill climbing",
        "iterative refinement: asks again from the best so far, keeps improvements",
    ),
}

_NAMES_AND_STRINGS = ("name", "string")


@dataclass(frozen=True)
class StrategyLabel:
    """One strategy found in a source, with the (1-based) lines that show it."""

    name: str
    lines: tuple[int, ...]
    evidence: str

    @property
    def title(self) -> str:
        return STRATEGIES[self.name][0]


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str] | None  # words that name the strategy
    kinds: tuple[str, ...]  # which words count: identifiers and/or string literals
    structural: Callable[[ast.AST], set[int]] | None
    evidence: str


def _words(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


_RULES = (
    _Rule(
        "beam_search",
        _words(r"beam"),
        _NAMES_AND_STRINGS,
        structure.top_k_per_round,
        "top-k selection inside the LM loop",
    ),
    _Rule(
        "simulated_annealing",
        _words(r"anneal|cooling"),
        _NAMES_AND_STRINGS,
        structure.metropolis_acceptance,
        "exp(delta / temperature) acceptance",
    ),
    _Rule(
        "bandit",
        _words(r"\bucb|upper.confidence|bandit|epsilon|thompson|\barms?\b|^eps\b|_eps\b"),
        _NAMES_AND_STRINGS,
        structure.ucb_or_epsilon,
        "UCB bonus or epsilon exploration",
    ),
    _Rule(
        "decomposition",
        _words(
            r"decompos|sub-?problem|sub-?task|break (it|this|the \w+) (down|into)"
            r"|split (it|this|the \w+) into|one (part|function|component) at a time"
            r"|each (part|function|component|helper)\b|individual (functions|components|parts)"
        ),
        ("string",),
        structure.parses_solution,
        "the solution is parsed and its parts improved separately",
    ),
    _Rule(
        "temperature_schedule",
        _words(r"temperatures\b|temp(erature)?_schedule|schedule"),
        ("name",),
        structure.varied_temperatures,
        "temperature differs between LM calls",
    ),
    _Rule(
        "self_critique",
        _words(
            r"critiqu|criticis|criticiz|reflect|self-review|review (the|your|this)"
            r"|what (went|is) wrong|weakness|shortcoming|\bflaws?\b|mistakes?\b|feedback"
        ),
        ("string",),
        None,
        "the prompt asks for critique or reflection",
    ),
    _Rule(
        "restarts",
        _words(r"restart|start(ing)? over|from scratch|reinitiali"),
        _NAMES_AND_STRINGS,
        structure.restarts_from_seed,
        "the search is reset to the initial solution",
    ),
    _Rule(
        "hill_climbing",
        _words(r"hill.?climb|iterative(ly)? refine"),
        _NAMES_AND_STRINGS,
        structure.iterative_refinement,
        "a loop asks the LM again and keeps a better candidate",
    ),
)

_GENETIC_OPERATORS = _words(r"crossover|cross_over|mutat|offspring|recombin")
_GENETIC_POPULATION = _words(r"population|generation|survivor|fittest|elit|parents?\b")
_GENETIC_NAME = _words(r"genetic|evolutionary")


def _genetic(found: list[Word]) -> StrategyLabel | None:
    """Operators and a population together (either alone is too common a word)."""
    named = matching_lines(found, _GENETIC_NAME, _NAMES_AND_STRINGS)
    operators = matching_lines(found, _GENETIC_OPERATORS, _NAMES_AND_STRINGS)
    population = matching_lines(found, _GENETIC_POPULATION, _NAMES_AND_STRINGS)
    if named or (operators and population):
        lines = named | operators | population
        return StrategyLabel("genetic_algorithm", tuple(sorted(lines)), "population + operators")
    return None


def classify(source: str) -> tuple[StrategyLabel, ...]:
    """The strategies `source` uses, in `STRATEGIES` order; () for none or an empty source."""
    found = words(source)
    try:
        tree: ast.AST | None = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None  # broken improvers still get the word-based labels
    labels: dict[str, StrategyLabel] = {}
    genetic = _genetic(found)
    if genetic:
        labels[genetic.name] = genetic
    for rule in _RULES:
        structural = rule.structural(tree) if (tree is not None and rule.structural) else set()
        named = matching_lines(found, rule.pattern, rule.kinds) if rule.pattern else set()
        if structural or named:
            evidence = rule.evidence if structural else "named in identifiers or prompt text"
            lines = tuple(sorted(structural | named))
            labels[rule.name] = StrategyLabel(rule.name, lines, evidence)
    return tuple(labels[name] for name in STRATEGIES if name in labels)


def label_names(source: str) -> frozenset[str]:
    """Just the names of `classify(source)`."""
    return frozenset(label.name for label in classify(source))


def strategy_counts(sources: Iterable[str]) -> Counter[str]:
    """How many of `sources` use each strategy (distinct sources count once)."""
    counts: Counter[str] = Counter({name: 0 for name in STRATEGIES})
    for source in dict.fromkeys(sources):
        counts.update(label_names(source))
    return counts
