# Two commands: `make run` and `make test`. Each sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint format bench bench-openevolve bench-improvement clean

# `make run`: both embedded models, then the main job: `stop improve` making a program better
# (3 runs on the 1.5B, each marked where it beats the seed solution beyond the noise), then the
# demo preset of the STOP experiment (self-improvement and transfer, on the faster 0.5B).
$(VENV)/.run-ready: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[local]'
	touch $@

DEMO_IMPROVE := --set improve_runs=3 --set lm_budget=2 --set utility_budget=13

run: $(VENV)/.run-ready
	$(BIN)/stop models pull
	$(BIN)/stop models pull qwen2.5-coder-1.5b
	$(BIN)/stop improve string_grid_distance $(DEMO_IMPROVE)
	$(BIN)/stop self-improve --preset demo

# `make test`: everything the tests need, then the whole suite (lint included).
$(VENV)/.test-ready: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[local,dev,ray]'
	@# the report's browser test drives Debian's Chromium (no browser download)
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium not installed (needs root): the browser test will be skipped"
	touch $@

test: $(VENV)/.test-ready
	$(BIN)/stop models pull
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q -ra

lint: $(VENV)/.test-ready
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(VENV)/.test-ready
	$(BIN)/ruff format src tests bench

# The benchmarks of docs/performance.md (a quiet machine gives the figures that mean something).
bench: $(VENV)/.test-ready
	$(BIN)/python bench/lm_throughput.py
	$(BIN)/python bench/sandbox.py
	$(BIN)/python bench/tasks.py
	$(BIN)/python bench/orchestration.py
	$(BIN)/python bench/scaling.py

# stop vs OpenEvolve on the embedded model, at the budgets of docs/vs_openevolve.md: hours on 2 cores.
bench-openevolve: $(VENV)/.test-ready
	$(BIN)/python bench/vs_openevolve.py --calls 12,24 --seeds 3

# Does `stop improve` make programs better? The table of docs/performance.md: about 2 hours.
bench-improvement: $(VENV)/.test-ready
	$(BIN)/python bench/improvement.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
