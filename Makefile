# Two commands: `make run` and `make test`. Each sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint format bench clean

# `make run`: the embedded model and the main job (the demo preset of the STOP experiment).
$(VENV)/.run-ready: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[local]'
	touch $@

run: $(VENV)/.run-ready
	$(BIN)/stop models pull
	$(BIN)/stop lm ask "Write a Python function that returns the n-th Fibonacci number."

# `make test`: everything the tests need, then the whole suite (lint included).
$(VENV)/.test-ready: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[local,dev]'
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

bench: $(VENV)/.test-ready
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
