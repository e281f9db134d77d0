# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
LOCALSTRIPE_PORT ?= 8420
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/marketplace_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export TEST_DATABASE_URL TEST_REDIS_URL

.PHONY: venv run test lint audit format worker demo clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
	$(BIN)/pip install --quiet -e '.[dev]'
	# localstripe: the fake Stripe server (GPL-3.0), test and dev tooling only, never a package dependency.
	$(BIN)/pip install --quiet 'localstripe==1.15.10'
	touch $@

venv: $(BIN)/.installed

## Serve the API on the embedded default (SQLite under instance/, in-process jobs, localstripe).
run: venv
	PORT=$(PORT) LOCALSTRIPE_PORT=$(LOCALSTRIPE_PORT) $(BIN)/python -m marketplace.devserver

## Run the whole suite against PostgreSQL, Redis and localstripe (started here if not running).
test: venv
	@$(BIN)/python .ci/ensure_localstripe.py $(LOCALSTRIPE_PORT)
	TEST_STRIPE_API_BASE=http://127.0.0.1:$(LOCALSTRIPE_PORT) $(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Security: bandit over our code (findings answered in docs/security.md), then pip-audit over the
## installed packages, bounded by a timeout; AUDIT_STRICT=1 also fails when the audit service is out of reach.
audit: venv
	$(BIN)/bandit -q -r marketplace workers -c pyproject.toml
	$(BIN)/python .ci/audit_dependencies.py --timeout 90 $(if $(AUDIT_STRICT),--strict,)

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## An rq worker with its scheduler (needs REDIS_URL).
worker: venv
	$(BIN)/flask --app wsgi worker

## rq's cron scheduler: offer expiry, auto-approval, payment reconciliation (needs REDIS_URL).
cron: venv
	$(BIN)/flask --app wsgi cron

## The whole flow against a running `make run` (register ... report), step by step.
demo: venv
	$(BIN)/python -m marketplace.walkthrough --base http://127.0.0.1:$(PORT) --stripe http://127.0.0.1:$(LOCALSTRIPE_PORT)

## Benchmarks (PostgreSQL database marketplace_bench; results in bench/results/).
bench: venv
	$(BIN)/python bench/search.py
	$(BIN)/python bench/matching.py --sizes 100000
	$(BIN)/python bench/contracts.py
	$(BIN)/python bench/imports.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
