# The two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Reinstall when the project's metadata changes.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
DEMO := examples/diagnosis

.PHONY: demo test lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# torch first, pinned to the CPU wheel on this machine's disk, so that the extra's range is
# already satisfied and pip never reaches for a multi-GB CUDA build.
TORCH_CPU ?= torch==2.13.0

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(TORCH_CPU)'
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

# The main job on the bundled example: build a deliberately leaky clinical model from data
# that ships with scikit-learn, threat-model it, scan it with every probe, render the report.
demo: $(RUN_STAMP)
	@mkdir -p out
	$(BIN)/python $(DEMO)/build.py
	$(BIN)/failmodes threat-model $(DEMO)/profile.yaml
	$(BIN)/failmodes scan $(DEMO)/profile.yaml --output out/diagnosis-assessment.json
	$(BIN)/failmodes report out/diagnosis-assessment.json --format html --output out/diagnosis-report.html
	@echo
	@echo "Assessment: out/diagnosis-assessment.json"
	@echo "Report:     out/diagnosis-report.html (open it in a browser)"

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache $(DEMO)/generated test-artifacts
