# The two commands a user needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp

.PHONY: install run console test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip >/dev/null
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv>=0.4,<1"
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv sync --frozen --inexact --extra dev --active --compile-bytecode
	@$(BIN)/python -m compileall -q bot knowledge scheduler storage
	@touch $(STAMP)

run: install
	$(BIN)/branchbot run

console: install
	$(BIN)/branchbot console

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m tests.bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
