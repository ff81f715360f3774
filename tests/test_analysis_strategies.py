"""Strategy labels: each hand-written improver gets exactly its strategies, with cited lines."""

import pytest

from stop.analysis.strategies import STRATEGIES, classify, label_names, strategy_counts
from stop.improvers import improver_source
from tests.report_fixtures.strategy_improvers import ANNEALING, BEAM, CASES, GENETIC


@pytest.mark.parametrize("name", list(CASES))
def test_each_improver_gets_exactly_its_strategies(name):
    source, expected = CASES[name]
    assert label_names(source) == expected


def test_every_strategy_is_exercised_by_some_improver():
    covered = set().union(*(expected for _, expected in CASES.values()))
    assert covered == set(STRATEGIES)


@pytest.mark.parametrize("builtin", ["seed", "single"])
def test_the_built_in_one_shot_improvers_have_no_strategy(builtin):
    assert classify(improver_source(builtin)) == ()


def test_the_built_in_hill_climber_is_hill_climbing():
    assert label_names(improver_source("hill_climb")) == {"hill_climbing"}


def test_labels_cite_the_lines_that_triggered_them():
    [label] = [lab for lab in classify(ANNEALING) if lab.name == "simulated_annealing"]
    lines = ANNEALING.split("\n")
    assert all("math.exp(delta / temperature)" in lines[n - 1] for n in label.lines)
    [beam] = classify(BEAM)
    cited = {BEAM.split("\n")[n - 1].strip() for n in beam.lines}
    assert "frontier = sorted(candidates, reverse=True)[:beam_width]" in cited
    assert beam.title == "Beam search"


def test_genetic_labels_cite_population_and_operators():
    [label] = classify(GENETIC)
    text = "\n".join(GENETIC.split("\n")[n - 1] for n in label.lines)
    assert "population" in text and "crossover" in text and "mutation" in text


def test_counts_count_each_distinct_source_once():
    counts = strategy_counts([BEAM, BEAM, GENETIC, improver_source("seed")])
    assert counts["beam_search"] == 1
    assert counts["genetic_algorithm"] == 1
    assert counts["simulated_annealing"] == 0
    assert set(counts) == set(STRATEGIES)
