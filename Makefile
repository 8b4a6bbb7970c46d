# Everything needed on a fresh machine with Python 3.11 and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit e2e lint format bench clean clean-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsdesk run

# pytest-xdist workers. The end-to-end tests mostly wait on sockets and timers, so on 2 cores 4 workers pay; one
# run of both suites lets the CPU-bound unit tests fill those waits. Override on bigger machines: make test WORKERS=8.
WORKERS ?= 4
UNIT_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python tools/check_layers.py
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal tests

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(UNIT_WORKERS) --dist worksteal tests/unit

e2e: $(STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python tools/check_layers.py

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_latency.py
	$(BIN)/python bench/bench_throughput.py
	$(BIN)/python bench/bench_search.py
	$(BIN)/python bench/bench_regen.py
	$(BIN)/python bench/bench_editorial.py

# Never deletes data/: it holds the ledger of what was posted; losing it means reposting or orphaned messages.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Deletes the databases (Discord and console). Back up first: newsdesk backup PATH.
clean-data:
	@echo "WARNING: deleting data/ (the delivery ledger, search index and digest schedules); Ctrl+C within 5 s to keep it"
	@sleep 5
	rm -rf data
