# Two entry points (see README): `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## demo: crawl the bundled example blog into state/demo and list the papers found
demo: $(VENV)/.installed
	$(BIN)/paperbot --config examples/paperbot.toml crawl once
	$(BIN)/paperbot --config examples/paperbot.toml papers

## test: lint, then the whole test suite (what CI runs)
test: $(VENV)/.installed
	sh tests/ensure_systemd.sh
	sh tests/ensure_browser.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) state/demo .pytest_cache
