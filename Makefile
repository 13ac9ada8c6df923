# Two entry points on a fresh machine with Python 3.11 and make:
#   make plan   the offline plan, monthly cost, policy check and preflight of the dev stack (STACK=name for another)
#   make test   lint, static type check against the provider SDKs, and the whole test suite
# Each creates .venv when missing and reinstalls when pyproject.toml, requirements.txt or constraints.txt
# changed. constraints.txt pins the exact versions the test suite was verified with.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: plan test lint typecheck unit docs bench bench-cli clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -r requirements.txt
	touch $@

# KServe's SDK wheel is read, not installed (its pins conflict with Pulumi's protobuf): tests build the
# InferenceService schema from its generated API types (tests/schemas/kserve_api.py).
$(VENV)/.test: pyproject.toml requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	$(BIN)/pip download -q --no-deps --dest $(VENV)/share/mlplatform-schemas kserve==0.21.0
	touch $@ $(VENV)/.runtime

plan: $(VENV)/.runtime
	$(BIN)/mlplatform plan --stack $(STACK) --cost --check --preflight

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test
	$(BIN)/pyright

unit: $(VENV)/.test
	$(BIN)/pytest -q

test: lint typecheck unit

# docs/reference/ and the README's cost and region tables, regenerated from the code (tests/test_docs.py fails
# when the committed ones are stale).
docs: $(VENV)/.runtime
	$(BIN)/python -m mlplatform.docgen

bench: $(VENV)/.test
	$(BIN)/python benchmarks/plan_bench.py

# `mlplatform plan --stack $(STACK) --json` in fresh processes against the floor (its resources under bare mocks).
bench-cli: $(VENV)/.runtime
	$(BIN)/python benchmarks/cli_plan_bench.py --stack $(STACK) --tuned-floor

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
