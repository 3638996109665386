# Two commands on a fresh machine: `make run` and `make test`.
# Both build a local .venv from pyproject.toml when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/jtopics run seeds --out data/out $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check pipeline tests $(wildcard benchmarks)
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check pipeline tests $(wildcard benchmarks)

clean:
	rm -rf $(VENV) data/out data/cache .pytest_cache
