# Two entry points do all the setup on a fresh machine: `make demo` and `make test`.
# The virtual environment is built once from requirements.txt (and requirements-app.txt: the web
# page `x2ct app` and its browser test) and reused while those files and pyproject.toml are
# unchanged (the stamp file records a finished install).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.x2ct-installed

.PHONY: setup demo test test-slow test-all lint format bench clean-venv train-spine-cpu train-spine-cpu-realistic train-spine-cpu-radiograph train-spine-cpu-pelvis

$(STAMP): requirements.txt requirements-app.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "x2ct needs Python >= 3.11, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-app.txt
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

# Reproduces the shipped model spine-cpu from scratch: 500 phantoms, prepare, train (about
# 75 minutes of training on 2 quiet cores, 1.5 hours in all), export, hold-out card numbers.
# Resumable: rerun after an interruption.
SPINE_WORK ?= models-work/spine-cpu
train-spine-cpu: setup
	$(BIN)/x2ct phantoms --n 500 --seed 1000 --workers 2 --config spine-cpu --out $(SPINE_WORK)/phantoms
	$(BIN)/x2ct prepare $(SPINE_WORK)/phantoms $(SPINE_WORK)/data --config spine-cpu --split 0.95 --workers 2
	$(BIN)/x2ct train $(SPINE_WORK)/data --config spine-cpu --out $(SPINE_WORK)/run --resume
	@test -d $(SPINE_WORK)/model || $(BIN)/x2ct models export $(SPINE_WORK)/run --name spine-cpu --out $(SPINE_WORK)/model
	$(BIN)/python benchmarks/holdout.py --model $(SPINE_WORK)/model --train-data $(SPINE_WORK)/data --out $(SPINE_WORK)/holdout --write-card

# Reproduces the shipped model spine-cpu-realistic: the same 500 phantoms, prepared as
# radiograph-like views (polyenergetic, noisy, processed), trained with view perturbations.
REAL_WORK ?= models-work/spine-cpu-realistic
train-spine-cpu-realistic: setup
	$(BIN)/x2ct phantoms --n 500 --seed 1000 --workers 2 --config spine-cpu --out $(REAL_WORK)/phantoms
	$(BIN)/x2ct prepare $(REAL_WORK)/phantoms $(REAL_WORK)/data --config spine-cpu-realistic --split 0.95 --workers 2
	$(BIN)/x2ct train $(REAL_WORK)/data --config spine-cpu-realistic --out $(REAL_WORK)/run --resume
	@test -d $(REAL_WORK)/model || $(BIN)/x2ct models export $(REAL_WORK)/run --name spine-cpu-realistic --out $(REAL_WORK)/model
	$(BIN)/python benchmarks/holdout.py --model $(REAL_WORK)/model --train-data $(REAL_WORK)/data --out $(REAL_WORK)/holdout --write-card

clean-venv:
	rm -rf $(VENV)

# Reproduces the shipped model spine-cpu-radiograph: spine-cpu-realistic's data and training with
# every training cube moved up to 60 mm off the spine (prepare.center_jitter_mm).
RADIO_WORK ?= models-work/spine-cpu-radiograph
train-spine-cpu-radiograph: setup
	$(BIN)/x2ct phantoms --n 500 --seed 1000 --workers 2 --config spine-cpu --out $(RADIO_WORK)/phantoms
	$(BIN)/x2ct prepare $(RADIO_WORK)/phantoms $(RADIO_WORK)/data --config spine-cpu-radiograph --split 0.95 --workers 2
	$(BIN)/x2ct train $(RADIO_WORK)/data --config spine-cpu-radiograph --out $(RADIO_WORK)/run --resume
	@test -d $(RADIO_WORK)/model || $(BIN)/x2ct models export $(RADIO_WORK)/run --name spine-cpu-radiograph --out $(RADIO_WORK)/model
	$(BIN)/python benchmarks/holdout.py --model $(RADIO_WORK)/model --train-data $(RADIO_WORK)/data --out $(RADIO_WORK)/holdout --write-card

# Trains spine-cpu-pelvis: spine-cpu-radiograph on phantoms with a pelvis and scans that reach
# up to 140 mm below the run (phantoms.pelvis, phantoms.margin_below_mm).
PELVIS_WORK ?= models-work/spine-cpu-pelvis
train-spine-cpu-pelvis: setup
	$(BIN)/x2ct phantoms --n 500 --seed 1000 --workers 2 --config spine-cpu-pelvis --out $(PELVIS_WORK)/phantoms
	$(BIN)/x2ct prepare $(PELVIS_WORK)/phantoms $(PELVIS_WORK)/data --config spine-cpu-pelvis --split 0.95 --workers 2
	$(BIN)/x2ct train $(PELVIS_WORK)/data --config spine-cpu-pelvis --out $(PELVIS_WORK)/run --resume
	@test -d $(PELVIS_WORK)/model || $(BIN)/x2ct models export $(PELVIS_WORK)/run --name spine-cpu-pelvis --out $(PELVIS_WORK)/model
	$(BIN)/python benchmarks/holdout.py --model $(PELVIS_WORK)/model --train-data $(PELVIS_WORK)/data --out $(PELVIS_WORK)/holdout --write-card
