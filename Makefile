# Everything needed on a fresh machine with Python 3.11 and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit e2e lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsdesk run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q tests/unit
	$(BIN)/python -m pytest -q tests/e2e

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_latency.py
	$(BIN)/python bench/bench_throughput.py
	$(BIN)/python bench/bench_search.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
