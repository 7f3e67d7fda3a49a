# Two entry points do all the setup on a fresh machine: `make demo` and `make test`.
# The virtual environment is built once from requirements.txt (and requirements-app.txt: the web
# page `x2ct app` and its browser test) and reused while those files and pyproject.toml are
# unchanged (the stamp file records a finished install).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.x2ct-installed

.PHONY: setup demo test test-slow test-all lint format bench clean-venv train-spine-cpu train-spine-cpu-realistic train-spine-cpu-radiograph train-spine-cpu-pelvis train-spine-cpu-density train-spine-cpu-trunk train-spine-cpu-trunk-mixed train-spine-cpu-trunk-mixed-long train-spine-cpu-scan train-spine-cpu-scan-mixed train-spine-cpu-realistic-long train-spine-cpu-realistic-moved

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

clean-venv:
	rm -rf $(VENV)

# train-NAME reproduces the model NAME from scratch, resumable (rerun after an interruption):
# 500 phantoms drawn with the 'phantoms' section of the preset given second, prepared and
# trained with the preset NAME, exported to $(MODELS_WORK)/NAME/NAME, then measured on the 40
# hold-out phantoms (the numbers of its card). About 1.5 hours on 2 quiet cores each.
MODELS_WORK ?= models-work
define TRAIN_MODEL
train-$(1): setup
	$$(BIN)/x2ct phantoms --n 500 --seed 1000 --workers 2 --config $(2) --out $$(MODELS_WORK)/$(1)/phantoms
	$$(BIN)/x2ct prepare $$(MODELS_WORK)/$(1)/phantoms $$(MODELS_WORK)/$(1)/data --config $(1) --split 0.95 --workers 2
	$$(BIN)/x2ct train $$(MODELS_WORK)/$(1)/data --config $(1) --out $$(MODELS_WORK)/$(1)/run --resume
	@test -d $$(MODELS_WORK)/$(1)/$(1) || $$(BIN)/x2ct models export $$(MODELS_WORK)/$(1)/run --name $(1) --out $$(MODELS_WORK)/$(1)/$(1)
	$$(BIN)/python benchmarks/holdout.py --model $$(MODELS_WORK)/$(1)/$(1) --train-data $$(MODELS_WORK)/$(1)/data --out $$(MODELS_WORK)/$(1)/holdout --write-card
endef

# spine-cpu, the default: monoenergetic DRRs through a fixed window.
$(eval $(call TRAIN_MODEL,spine-cpu,spine-cpu))
# spine-cpu-realistic: the same phantoms as radiograph-like views (polyenergetic, noisy,
# processed), trained with view perturbations.
$(eval $(call TRAIN_MODEL,spine-cpu-realistic,spine-cpu))
# spine-cpu-radiograph: spine-cpu-realistic with every training cube moved up to 60 mm off the
# spine (prepare.center_jitter_mm).
$(eval $(call TRAIN_MODEL,spine-cpu-radiograph,spine-cpu))
# spine-cpu-pelvis: spine-cpu-radiograph on phantoms with a pelvis and scans reaching up to
# 140 mm below the run (phantoms.pelvis, phantoms.margin_below_mm).
$(eval $(call TRAIN_MODEL,spine-cpu-pelvis,spine-cpu-pelvis))
# spine-cpu-density: spine-cpu-radiograph on phantoms whose cancellous bone is as dense as an
# adult CT population's (phantoms.bone_density: age).
$(eval $(call TRAIN_MODEL,spine-cpu-density,spine-cpu-density))
# spine-cpu-trunk: spine-cpu-radiograph on phantoms whose trunk is as deep as adults' with the
# spine in its back half (phantoms.trunk: population).
$(eval $(call TRAIN_MODEL,spine-cpu-trunk,spine-cpu-trunk))
# spine-cpu-trunk-mixed: the same on phantoms of both trunks (phantoms.trunk: mixed).
$(eval $(call TRAIN_MODEL,spine-cpu-trunk-mixed,spine-cpu-trunk-mixed))
# spine-cpu-trunk-mixed-long: the same trained twice as long (3332 steps).
$(eval $(call TRAIN_MODEL,spine-cpu-trunk-mixed-long,spine-cpu-trunk-mixed-long))
# spine-cpu-scan: the same on phantoms whose scan fills the field (phantoms.scan_mm).
$(eval $(call TRAIN_MODEL,spine-cpu-scan,spine-cpu-scan))
# spine-cpu-scan-mixed: the same on phantoms of both scans (phantoms.scan_probability: 0.5).
$(eval $(call TRAIN_MODEL,spine-cpu-scan-mixed,spine-cpu-scan-mixed))
# spine-cpu-realistic-long: spine-cpu-realistic trained twice as long (3332 steps).
$(eval $(call TRAIN_MODEL,spine-cpu-realistic-long,spine-cpu))
# spine-cpu-realistic-moved: the same with the truth moved as the views' rotation and
# magnification imply (train.augment_move_truth).
$(eval $(call TRAIN_MODEL,spine-cpu-realistic-moved,spine-cpu))
