"""Prints each promotion model's generator statistics after the run (steps per kind)."""

from __future__ import annotations

import os
import sys

import pytest

from tests.model import start


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 (pytest's object)
    for suffix in ("test_promotion_model", "test_child_guard_model"):
        module = next((m for name, m in list(sys.modules.items()) if name.endswith(suffix)),
                      None)
        lines = module.statistics() if module is not None else []
        if lines:
            terminalreporter.section(f"{suffix.removeprefix('test_')} statistics")
            for line in lines:
                terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _no_ca_override(monkeypatch):  # noqa: ANN001 (pytest's object)
    """The local orgs' own CA file is in sfenv.yml: a CA bundle from the environment would
    override it for requests."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session", autouse=True)
def _shared_start(tmp_path_factory):  # noqa: ANN001 (pytest's object)
    """The models' start folders, built once per session and shared by its workers
    (`tests/model/start.py`)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the session's workers
    start.SHARED = root / "model-start"
    yield
    start.SHARED = None
