# The commands of the README: `make serve`, `make dev` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve dev test test-fast lint check clean bench lock fuzz

# Every install takes its exact versions from constraints.txt (see `make lock`).
PIP_INSTALL := $(BIN)/python -m pip install --quiet -c constraints.txt

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	touch $@ $(VENV)/.installed

serve: $(VENV)/.installed
	$(BIN)/strongroom serve $(ARGS)

# Developer mode on port 4566: test/test, throwaway data, reset enabled. E.g. make dev ARGS="--seed seed.yaml"
dev: $(VENV)/.installed
	$(BIN)/strongroom serve --dev --enable-reset $(ARGS)

# The AWS SDK for JavaScript v3 that tests/live/test_javascript_sdk.py drives (its exact versions are in
# tests/js/package-lock.json); without npm those tests are skipped, except under CI.
tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests/js && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm not found: the JavaScript SDK tests will be skipped"; fi

test: $(VENV)/.installed-dev tests/js/node_modules/.installed
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist worksteal $(PYTEST_ARGS)

# The unit tests only: no test that starts a server (the `live` marker). `make test` runs everything.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist worksteal -m "not live" $(PYTEST_ARGS)

# A long fuzz run over every operation of the served models, against a server on SQLite and one on
# PostgreSQL (`make test` runs a modest one). E.g. make fuzz FUZZ_ARGS="--fuzz-size 200 --fuzz-seed 7"
FUZZ_ARGS ?= --fuzz-size 80
fuzz: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -s tests/fuzz $(FUZZ_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# `make bench` (MODE=scale, MODE=profile or MODE=cpu for the other modes; BENCH_ARGS="--duration 5 ..." for options).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.installed-bench: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[bench]'
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y wrk)
	$(BIN)/python -m bench.run $(if $(filter scale,$(MODE)),--scale) $(if $(filter profile,$(MODE)),--profile) $(if $(filter cpu,$(MODE)),--cpu) $(BENCH_ARGS)

# Re-resolve pyproject.toml's ranges (runtime, dev and bench) in a throwaway venv into constraints.txt;
# then run `make test` and the benchmarks before committing the new versions.
LOCK_VENV := .venv-lock
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev,bench]'
	sed -n '1,3p' constraints.txt > constraints.txt.new
	$(LOCK_VENV)/bin/python -m pip freeze --exclude-editable >> constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) .strongroom .pytest_cache .hypothesis
