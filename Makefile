# The commands of the README: `make serve`, `make dev` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve dev test test-fast lint check clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

serve: $(VENV)/.installed
	$(BIN)/strongroom serve $(ARGS)

# Developer mode on port 4566: test/test, throwaway data, reset enabled. E.g. make dev ARGS="--seed seed.yaml"
dev: $(VENV)/.installed
	$(BIN)/strongroom serve --dev --enable-reset $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The unit tests only: no test that starts a server (the `live` marker). `make test` runs everything.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -m "not live" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# `make bench` (MODE=scale, MODE=profile or MODE=cpu for the other modes; BENCH_ARGS="--duration 5 ..." for options).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y wrk)
	$(BIN)/python -m bench.run $(if $(filter scale,$(MODE)),--scale) $(if $(filter profile,$(MODE)),--profile) $(if $(filter cpu,$(MODE)),--cpu) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .strongroom .pytest_cache .hypothesis
