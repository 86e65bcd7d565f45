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

$(DEV_STAMP): pyproject.toml | $(BIN)/python
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
	$(BIN)/failmodes report out/diagnosis-assessment.json --by eu-ai-act --output out/diagnosis-eu-ai-act.md
	$(BIN)/failmodes report out/diagnosis-assessment.json --by nist-ai-rmf --output out/diagnosis-nist-ai-rmf.md
	@echo
	@echo "Assessment: out/diagnosis-assessment.json"
	@echo "Report:     out/diagnosis-report.html (open it in a browser)"
	@echo "Evidence per framework: out/diagnosis-eu-ai-act.md, out/diagnosis-nist-ai-rmf.md"

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
