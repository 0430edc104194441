# sfenv — the commands that matter: `make demo` and `make test` (both install first when needed).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo bench lint test-browser clean conformance

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q --timeout=600

demo: $(STAMP)
	$(BIN)/sfenv demo --out demo-out

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -q -s --bench-out bench-results.json -p no:randomly

# The real sf CLI and jsforce (from npm, cached in ~/.cache/sfenv-conformance) against a local org
conformance: $(STAMP)
	$(BIN)/python tools/conformance/run.py

lint: $(STAMP)
	$(BIN)/ruff check sfenv tests

test-browser: $(STAMP)
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null
	$(BIN)/python -m pytest -q -m browser

clean:
	rm -rf $(VENV) demo-out bench-results.json
