# Two commands on a fresh machine: `make run` and `make test`.
# Both build a local .venv when it is missing or older than the lock files, installing the exact
# versions in requirements.lock (run) or requirements-dev.lock (test), then jtopics itself.
# `make lock` refreshes the lock files from pyproject.toml (which keeps lower bounds, for people
# who `pip install` the package).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test lint bench lock clean

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $@

run: $(VENV)/.installed
	$(BIN)/jtopics run seeds --out data/out $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check pipeline tests $(wildcard benchmarks)
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check pipeline tests $(wildcard benchmarks)

# pip-tools in a throwaway environment; the same options for both files.
LOCK_OPTIONS := --quiet --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet pip-tools
	.venv-lock/bin/pip-compile $(LOCK_OPTIONS) --upgrade --output-file requirements.lock pyproject.toml
	.venv-lock/bin/pip-compile $(LOCK_OPTIONS) --upgrade --extra dev --output-file requirements-dev.lock pyproject.toml
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .venv-lock data/out data/cache .pytest_cache
