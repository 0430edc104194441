# sfenv — the commands that matter: `make demo` and `make test` (both install first when needed).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lock test check soak demo bench lint test-browser clean conformance corpora

# Dependencies come from requirements.lock (exact versions with hashes, runtime + dev); the
# project itself is installed on top without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Re-resolve the dependencies of pyproject.toml (dev extra included) into requirements.lock.
lock: $(STAMP)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe \
		-o requirements.lock pyproject.toml

# Three workers on two cores: a worker waits on the local orgs' replies and on the sfenv
# processes it starts (tests/e2e alone: 212 s wall with -n 2, 162 s with -n 3, the same CPU).
# The whole suite gained nothing measurable (9 min 34 s either way, wave 3f): it uses ~1.5
# cores of CPU throughout, so the 8 minutes need CPU cut, not more workers.
test: $(STAMP)
	$(BIN)/python -m pytest -n 3 -q --timeout=600

# The promotion models at soak size: 200 examples each, with the generator's statistics
# (share of steps per kind, child types, environments). `make test` runs a small budget.
soak: $(STAMP)
	SFENV_MODEL_PROFILE=soak SFENV_MODEL_EXAMPLES=200 nice -n 10 $(BIN)/python -m pytest -q \
		-p no:randomly tests/model -k "TestChildGuardModel or TestPromotionModel" \
		--hypothesis-show-statistics --timeout=0

# The fast tier after every change: pure core and components (tests/conftest.py CHECK_FOLDERS).
check: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q --timeout=120 -m check

demo: $(STAMP)
	$(BIN)/sfenv demo --out demo-out

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -q -s --bench-out bench-results.json -p no:randomly

# The real org repositories of ../shared/corpora: every heavy case, then every consecutive commit
# pair of every bundle through `sfenv delta` (hours; --resume continues an interrupted walk).
corpora: $(STAMP)
	SFENV_CORPORA_ALL=1 $(BIN)/python -m pytest -q -p no:randomly tests/corpora
	$(BIN)/python -m tests.corpora.walk --out corpora-walk.jsonl --resume

# The real sf CLI and jsforce (from npm, cached in ~/.cache/sfenv-conformance) against a local org
conformance: $(STAMP)
	$(BIN)/python tools/conformance/run.py

# ruff, the layer contracts (.importlinter) and mypy within its per-package budget.
lint: $(STAMP)
	$(BIN)/ruff check sfenv tests tools
	@if [ -f .importlinter ]; then $(BIN)/lint-imports; fi
	$(BIN)/python tools/mypy_budget.py

test-browser: $(STAMP)
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null
	$(BIN)/python -m pytest -q -m browser

clean:
	rm -rf $(VENV) demo-out bench-results.json corpora-walk.jsonl
