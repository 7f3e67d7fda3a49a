# Two entry points do all the setup on a fresh machine: `make demo` and `make test`.
# The virtual environment is built once from requirements.txt and reused while that file and
# pyproject.toml are unchanged (the stamp file records a finished install).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.x2ct-installed

.PHONY: setup demo test test-slow test-all lint format bench clean-venv

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "x2ct needs Python >= 3.11, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/x2ct demo

test: setup
	$(BIN)/python -m pytest -q

# pytest exits 5 when no test carries the marker; that is not a failure.
test-slow: setup
	$(BIN)/python -m pytest -q -m slow || [ $$? -eq 5 ]

test-all: setup
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean-venv:
	rm -rf $(VENV)
