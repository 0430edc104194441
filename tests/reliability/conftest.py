"""The counted reliability suite: fixtures shared by its families, and the table of counts
by family printed at the end of a run (the README's table comes from `count.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from tests.projects import Project, local_project
from tests.reliability.kit import FAMILIES
from tests.reliability.promote_kit import Path2


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Iterator[tuple[Project, str]]:
    """A project with one local org (acme-dev) and a clean first pull: (project, its commit)."""
    with pytest.MonkeyPatch.context() as mp, local_project(
            tmp_path_factory.mktemp("rel"), {"dev": "acme-dev"}, mp, production=None,
            seed_types=False) as project:
        project.ok("pull", "dev", "--quiet")
        baseline = SnapshotStore(project.root).head("dev")
        assert baseline
        yield project, baseline


@pytest.fixture
def clean_dev(dev) -> Iterator[tuple[Project, str]]:
    """`dev` with its org's faults cleared before and after the test."""
    project, baseline = dev
    project.orgs["dev"].faults.reset()
    try:
        yield project, baseline
    finally:
        project.orgs["dev"].faults.reset()


def family_of(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    if "tests/reliability/" not in path:
        return None
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    return FAMILIES.get(stem)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    counts: Counter[tuple[str, str]] = Counter()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            family = family_of(getattr(report, "nodeid", ""))
            if family and getattr(report, "when", "call") in ("call", "setup"):
                if outcome == "passed" and report.when == "setup":
                    continue
                counts[(family, outcome)] += 1
    if not counts:
        return
    terminalreporter.write_sep("-", "reliability cases by family")
    for family in dict.fromkeys(FAMILIES.values()):
        row = {o: counts[(family, o)] for o in ("passed", "failed", "skipped", "error")}
        if any(row.values()):
            terminalreporter.write_line(
                f"{family:<40} passed {row['passed']:>3}  failed {row['failed']:>3}  "
                f"skipped {row['skipped']:>3}  error {row['error']:>3}")


@pytest.fixture
def tampered(clean_dev, monkeypatch):
    """Install `edit(files_zip) -> zip` on every retrieve answer (a hostile org or proxy);
    returns (project, baseline, install)."""
    from sfenv.io.org.client import OrgClient

    project, baseline = clean_dev
    original = OrgClient.check_retrieve

    def install(edit) -> None:
        def check(self, process_id, include_zip):
            status = original(self, process_id, include_zip)
            if status.zip_bytes:
                status.zip_bytes = edit(status.zip_bytes)
            return status

        monkeypatch.setattr(OrgClient, "check_retrieve", check)

    return project, baseline, install


@pytest.fixture
def path2(shared: Path2) -> Iterator[Path2]:
    """The module's `shared` two-org path with faults cleared before and after the test."""
    shared.reset_faults()
    try:
        yield shared
    finally:
        shared.reset_faults()
