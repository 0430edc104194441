"""Fixtures shared by every test area.

`local_org` starts local orgs (sfenv.localorg) on free loopback ports and stops them at the end:

    def test_pull(local_org, tmp_path):
        org = local_org.start(seed="acme-dev")          # or data=<existing Metadata API folder>
        session = local_org.session(org)                 # requests.Session trusting org.ca_file
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests


def _keep_bytecode() -> None:
    """With PYTHONDONTWRITEBYTECODE set (as on the team's machines), every process the suite
    starts (each xdist worker, each `sfenv` command a test runs as a real process) compiled
    every sfenv module from source again: ~0.4 s CPU a process. The suite keeps the compiled
    files in a folder of its own instead (PYTHONPYCACHEPREFIX, under .pytest_cache), so the
    source tree stays as clean as the setting wanted. Set before xdist starts its workers, so
    they and every process they start inherit it."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return  # compiled files go to __pycache__ as usual
    import sys

    prefix = os.environ.get("PYTHONPYCACHEPREFIX") or str(
        Path(__file__).resolve().parent.parent / ".pytest_cache" / "pycache")
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.dont_write_bytecode = False
    sys.pycache_prefix = prefix


_keep_bytecode()


@pytest.fixture(scope="session", autouse=True)
def _short_retry_backoff():
    """The org client's backoff between retries of a 5xx or a dropped connection is sized for
    Salesforce (0.25–0.5 s, doubling, up to 20 s); against a loopback org the suite's 5xx
    storms spent most of their wall time asleep in it (one storm case: 19 s, 1 s of CPU). Every
    OrgClient a test builds without its own policy backs off 25x less here, with the same
    attempts and jitter, so what is retried and what fails stays the same. Tests of the backoff
    itself pass a RetryPolicy (tests/org) and keep the real one; the concurrent-limit waits
    are not shortened (tests/e2e/test_org_limits.py sets its own)."""
    from sfenv.io.org import client as client_module
    from sfenv.io.org.retry import RetryPolicy

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(client_module, "RetryPolicy",
                   lambda: RetryPolicy(base_delay=0.02, max_delay=0.8))
        yield


class LocalOrgFactory:
    """Starts local orgs for one test; all are stopped when the test ends."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp = tmp_path
        self._stack = contextlib.ExitStack()
        self._count = 0

    def start(self, seed: str | None = None, data: Path | None = None, *, https: bool = True,
              username: str | None = None):
        from sfenv.localorg.testing import running_org

        self._count += 1
        data_dir = Path(data) if data is not None else self._tmp / f"localorg{self._count}"
        return self._stack.enter_context(
            running_org(data_dir, seed=seed, https=https, username=username))

    @staticmethod
    def session(handle) -> requests.Session:
        """A requests session that trusts the org's CA. `trust_env` is off because requests
        lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override `session.verify`."""
        session = requests.Session()
        session.trust_env = False
        session.verify = handle.ca_file if handle.ca_file else True
        return session

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def local_org(tmp_path):
    factory = LocalOrgFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close()


# --- prepared projects, once per session --------------------------------------------------------
# Pulling three seeded orgs takes seconds; copying the pulled project takes milliseconds. Tests
# that change their project start from `copied_project(<prepared>, tmp_path, monkeypatch)`.
ACME = {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod"}


@pytest.fixture(scope="session")
def acme_pulled(tmp_path_factory):
    """dev, qa and prod from the acme seeds, with the demo's `values:`, each pulled once."""
    from sfenv.localorg.seeds import ENV_VALUES
    from tests.projects import prepare_project

    values = {env: ENV_VALUES[seed] for env, seed in ACME.items()}
    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)  # requests would let them override ca_file
        return prepare_project(tmp_path_factory.mktemp("acme_pulled"), ACME,
                               lambda project: project.pull_all(), values=values)


@pytest.fixture(scope="session")
def acme_r1(acme_pulled, tmp_path_factory):
    """`acme_pulled` with train R1 built from dev."""
    from tests.projects import prepare_from

    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)
        return prepare_from(acme_pulled, tmp_path_factory.mktemp("acme_r1"),
                            lambda project: project.ok("release", "build", "R1"))


# --- the demo, once per session ---------------------------------------------------------------
# `make demo` (the full variant) takes a minute of CPU; tests/e2e/test_demo.py and
# tests/render/test_demo_report_browser.py read its output and transcript and never change
# them, so they share one run. Under xdist the two files may land on different workers: the
# first to take the lock runs the demo into the session's shared temp folder and records its
# transcript and the servers' exit codes; the other waits for it and reads that record.
# (Both files also carry `xdist_group("demo")`, which `--dist loadgroup` would use to put them
# on one worker; pytest 9.2 with xdist 3.8 ignores it: pytest-dev/pytest-xdist#1386.)


@dataclass
class _Exited:
    """A demo server seen by another worker: its exit code when the demo ended."""

    code: int | None

    def poll(self) -> int | None:
        return self.code


@dataclass
class DemoRecord:
    """What the demo tests read of a run: its transcript and its servers."""

    transcript: list[str]
    servers: dict


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Path, object]:
    """(out folder, run) of one full demo per test session. Treat both as read-only."""
    from sfenv.cli.local.demo import run_demo

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the session's workers
    shared = root / "demo-shared"
    shared.mkdir(exist_ok=True)
    out, record = shared / "demo-out", shared / "run.json"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if record.exists():
            seen = json.loads(record.read_text())
            return out, DemoRecord(seen["transcript"],
                                   {k: _Exited(v) for k, v in seen["servers"].items()})
        out.mkdir(exist_ok=True)
        (out / "stale.txt").write_text("from an earlier run")  # a second run starts afresh
        run = run_demo(out, short=False)
        record.write_text(json.dumps({"transcript": run.transcript,
                                      "servers": {k: p.poll() for k, p in run.servers.items()}}))
        return out, run


# --- test tiers ------------------------------------------------------------------------------
# `make check` runs the tier marked `check`: the pure core and components, folder by folder
# below, minus tests marked `slow` (those start local orgs and drive whole commands). `make
# test` runs everything. A new folder joins the check tier here, by name, on purpose.
CHECK_FOLDERS = frozenset({
    "unit", "compare", "checklist", "config", "store", "source", "record", "cli", "render",
    "architecture",
})


# The folders whose tests run for seconds each, longest first. xdist splits the collected
# order among the workers (`make test` uses `--dist worksteal`: an idle worker takes half of a
# busy one's queue), so these start first and the check tier's short tests fill the ends:
# in alphabetical order the run ended with one worker on a 20-60 s test and the others idle.
LONG_FIRST = ("model", "e2e", "ci", "corpora", "sync", "reliability", "release", "localorg",
              "source")


def pytest_collection_modifyitems(config, items):
    tests_root = Path(__file__).parent
    rank: dict[int, tuple[int, int]] = {}
    for item in items:
        try:
            folder = Path(item.fspath).relative_to(tests_root).parts[0]
        except ValueError:
            continue
        if folder in CHECK_FOLDERS and not item.get_closest_marker("slow") \
                and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.check)
            rank[id(item)] = (2, 0)
        elif folder in LONG_FIRST:
            rank[id(item)] = (0, LONG_FIRST.index(folder))
    items.sort(key=lambda item: rank.get(id(item), (1, 0)))  # stable: a module stays whole


def pytest_collection_finish(session):
    """Move what collection built (every module, fixture and hypothesis strategy of 3,000+
    tests) out of the garbage collector's reach: its passes walked it again and again, for
    objects that live until the worker exits. Measured on a promotion file run among the
    whole collection: the collector's time 1.03 -> 0.56 s of ~37 s CPU."""
    import gc

    gc.collect()
    gc.freeze()
