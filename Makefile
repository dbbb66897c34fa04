# Set-up and everyday commands. Everything installs into .venv/ from PyPI.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow test-mutation lint format bench clean venv browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,images,cluster]'
	# CPU build of torch for the torch backend's tests (a GPU build works as well).
	$(BIN)/python -c 'import torch' 2>/dev/null || $(BIN)/python -m pip install --quiet 'torch==2.13.0' || $(BIN)/python -m pip install --quiet 'torch>=2.1'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/scalinglab demo

# Headless chromium for the report test (tests/reproduce/test_reproduce_browser.py).
browser:
	command -v chromium || (apt-get update && apt-get install -y chromium)

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

# Plausible one-line bugs, each of which some test must catch (tests/mutation/mutate.py).
test-mutation: $(STAMP)
	$(BIN)/python tests/mutation/mutate.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .ruff_cache
