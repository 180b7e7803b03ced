# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint types imports unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/cascade dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

# Lint, types and import contracts, then the whole suite against throwaway
# PostgreSQL and Redis servers that are stopped however the run ends.
test: lint types imports
	$(BIN)/python -m tests.services -- $(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks of QUALITY.md; each prints JSON lines with ratios against a baseline of the same run.
bench: install
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.ledger
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.job_throughput
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.webhook_throughput
	$(BIN)/python -m tests.bench.credits_wasted
	$(BIN)/python -m tests.bench.scraper_pages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
