"""Fixtures shared by every test area.

`local_org` starts local orgs (sfenv.localorg) on free loopback ports and stops them at the end:

    def test_pull(local_org, tmp_path):
        org = local_org.start(seed="acme-dev")          # or data=<existing Metadata API folder>
        session = local_org.session(org)                 # requests.Session trusting org.ca_file
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import requests


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


# --- test tiers ------------------------------------------------------------------------------
# `make check` runs the tier marked `check`: the pure core and components, folder by folder
# below, minus tests marked `slow` (those start local orgs and drive whole commands). `make
# test` runs everything. A new folder joins the check tier here, by name, on purpose.
CHECK_FOLDERS = frozenset({
    "unit", "compare", "checklist", "config", "store", "source", "record", "cli", "render",
    "architecture",
})


def pytest_collection_modifyitems(config, items):
    tests_root = Path(__file__).parent
    for item in items:
        try:
            folder = Path(item.fspath).relative_to(tests_root).parts[0]
        except ValueError:
            continue
        if folder in CHECK_FOLDERS and not item.get_closest_marker("slow") \
                and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.check)
