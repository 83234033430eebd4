# Two entry points (see README): `make demo` and `make test`. Both create .venv themselves
# and install the versions locked in constraints.txt (refresh: `make constraints`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
CONSTRAINTS ?= constraints.txt
BIN := $(VENV)/bin
# uv resolves the lock files (pinned here so that a refresh is reproducible too)
UV_VERSION := 0.13.9

.PHONY: demo test tools quick lint pytest docs constraints bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	touch $@

## demo: crawl the bundled example blog offline into state/demo and print a report
demo: $(VENV)/.installed
	$(BIN)/python examples/demo.py

## test: lint, then the whole test suite (what CI runs)
test: lint tools pytest

# systemd-analyze and Chromium for the unit-file and site-browser tests: installed when we
# are root on Debian/Ubuntu; otherwise those two tests skip locally with the reason (CI
# runs these scripts strictly first, and there the tests refuse to skip).
tools:
	-@sh tests/ensure_systemd.sh
	-@sh tests/ensure_browser.sh

## quick: the local loop, without the slow end-to-end tests
quick: $(VENV)/.installed
	PAPERBOT_CONSTRAINTS=$(CONSTRAINTS) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# PAPERBOT_CONSTRAINTS: tests/test_packaging.py checks the venv holds exactly those versions.
# 4 workers (pytest-xdist): most tests wait on their local servers, so even 2 cores keep
# 4 busy; PYTEST_WORKERS=0 runs them in one process.
PYTEST_WORKERS ?= 4
pytest: $(VENV)/.installed
	PAPERBOT_CONSTRAINTS=$(CONSTRAINTS) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

## docs: regenerate the generated parts of docs/cli.md (tests/test_cli_docs.py checks them)
docs: $(VENV)/.installed
	$(BIN)/cog -r docs/cli.md

## constraints: re-resolve constraints.txt (newest versions the bounds allow, every
## supported Python) and constraints-lowest.txt (the bounds' floors, Python 3.11)
constraints: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile --quiet pyproject.toml --extra test --universal \
	    --python-version 3.11 --custom-compile-command 'make constraints' -o constraints.txt
	$(BIN)/uv pip compile --quiet pyproject.toml --extra test --python-version 3.11 \
	    --resolution lowest-direct --custom-compile-command 'make constraints' \
	    -o constraints-lowest.txt

bench: $(VENV)/.installed
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .venv-* state/demo .pytest_cache
