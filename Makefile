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

# The tests' temporary folders (~220,000 small files a `make test`: git repositories and org
# folders, ~100 MB) go to memory when /dev/shm is writable with 1 GiB free (a container's
# default 64 MB is not used), one folder per checkout; on disk, creating them and pytest's
# deletion of an older run's cost ~20-60 s of a run. A passing run removes its folder; a
# failing one keeps it for a look (the next run starts it afresh).
SHM_TMP := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && \
	[ "$$(df -Pk /dev/shm | awk 'NR==2 {print $$4}')" -ge 1048576 ] 2>/dev/null && \
	echo /dev/shm/sfenv-tests-$$(printf %s "$(CURDIR)" | cksum | cut -d' ' -f1))
TEST_TMP_ARGS = $(if $(SHM_TMP),--basetemp=$(SHM_TMP)-$@)
TEST_TMP_DONE = $(if $(SHM_TMP),&& rm -rf $(SHM_TMP)-$@)

# Re-resolve the dependencies of pyproject.toml (dev extra included) into requirements.lock.
lock: $(STAMP)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe \
		-o requirements.lock pyproject.toml

# Three workers on two cores: a worker waits on the local orgs' replies and on the sfenv
# processes it starts (tests/e2e alone: 212 s wall with -n 2, 162 s with -n 3, the same CPU).
# `--dist worksteal`: xdist's default `load` sends each worker a contiguous first share of the
# collected tests and never takes back what it sent, so the worker whose share held the long
# folders (model, e2e, ci, corpora) ran alone for the last ~110 s with a core idle; with
# worksteal an idle worker takes half of a busy one's queue (same code: 7 min 1 s -> 5 min 23 s).
test: $(STAMP)
	$(BIN)/python -m pytest -n 3 --dist worksteal -q --timeout=600 $(TEST_TMP_ARGS) $(TEST_TMP_DONE)

# The promotion models at soak size: 200 examples each, with the generator's statistics
# (share of steps per kind, child types, environments). `make test` runs a small budget.
soak: $(STAMP)
	SFENV_MODEL_PROFILE=soak SFENV_MODEL_EXAMPLES=200 nice -n 10 $(BIN)/python -m pytest -q \
		-p no:randomly tests/model -k "TestChildGuardModel or TestPromotionModel" \
		--hypothesis-show-statistics --timeout=0

# The fast tier after every change: pure core and components (tests/conftest.py CHECK_FOLDERS).
check: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -q --timeout=120 -m check $(TEST_TMP_ARGS) \
		$(TEST_TMP_DONE)

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
