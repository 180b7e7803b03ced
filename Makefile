# The commands of the README: `make run`, `make test`, and the `cascade` CLI through `make cascade ARGS="..."`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What is installed: the runtime package alone (`make run`), or with the development and test tools (`make test`).
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
PIP_LOG := $(VENV)/pip.log

.PHONY: run sandbox cascade test install install-runtime lint types imports bench clean

$(BIN)/python:
	@echo "make: creating the virtualenv $(VENV) ($$($(PYTHON) --version 2>&1))"
	@$(PYTHON) -m venv $(VENV)
	@echo "make: upgrading pip in it"
	@$(BIN)/pip install --quiet --upgrade pip

# `pip install $(1)`, called $(2). pip's own output goes to $(PIP_LOG); the terminal gets a few lines (a count
# of packages as they are collected, the big downloads, what is installed and how long it took) and, if pip
# fails, the end of the log.
PIP_PROGRESS := awk ' \
	/^Collecting / { n++; if (n % 25 == 0) { printf "make:   %d packages collected\n", n; fflush() } } \
	/^ *Downloading .*\([0-9.]+ MB\)/ { \
		if (match($$0, /\([0-9.]+ MB\)/) && substr($$0, RSTART + 1, RLENGTH - 5) + 0 >= 10) { \
			name = $$2; sub(/-[0-9].*/, "", name); \
			printf "make:   downloading %s %s\n", name, substr($$0, RSTART, RLENGTH); fflush() } } \
	/^Installing collected packages: / { \
		printf "make:   installing %d packages\n", split(substr($$0, 32), names, ", "); fflush() }'

define pip_install
	@echo "make: installing $(2) (pip's output: $(PIP_LOG))"
	@set -o pipefail; start=$$SECONDS; \
	$(BIN)/pip install --progress-bar off $(1) 2>&1 | tee $(PIP_LOG) | $(PIP_PROGRESS) \
		|| { echo "make: pip failed; the end of $(PIP_LOG):"; tail -n 30 $(PIP_LOG); exit 1; }; \
	installed=$$(sed -n 's/^Successfully installed //p' $(PIP_LOG) | wc -w); \
	echo "make: done in $$((SECONDS - start)) s ($$installed packages installed or updated)"
endef

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(call pip_install,-e .,Cascade and its runtime dependencies)
	@touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(call pip_install,-e '.[dev]',Cascade with its development and test tools)
	@touch $@ $(RUNTIME)

install-runtime: $(RUNTIME)

install: $(DEV)

# Embedded PostgreSQL and Temporal, migrations, a worker, the scraper and the API; ready once all of them are.
run: $(RUNTIME)
	$(BIN)/cascade dev

# The same with the local fake Apollo, Hunter and Clearbit as providers (no scraper).
sandbox: $(RUNTIME)
	$(BIN)/cascade dev --sandbox

# Any `cascade` command, e.g. make cascade ARGS="users make-admin ann@example.com"
cascade: $(RUNTIME)
	$(BIN)/cascade $(or $(ARGS),--help)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(DEV)
	$(BIN)/mypy

imports: $(DEV)
	$(BIN)/lint-imports

# Lint, types and import contracts, then the whole suite against throwaway PostgreSQL and Redis servers that are
# stopped however the run ends.
test: lint types imports
	$(BIN)/python -m tests.services -- $(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks of QUALITY.md; each prints JSON lines with ratios against a baseline of the same run.
bench: $(DEV)
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.ledger
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.job_throughput
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.webhook_throughput
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.api_hot_path
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.search_latency
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.search_reindex
	$(BIN)/python -m tests.services -- $(BIN)/python -m tests.bench.replication_lag
	$(BIN)/python -m tests.bench.credits_wasted
	$(BIN)/python -m tests.bench.scraper_pages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
