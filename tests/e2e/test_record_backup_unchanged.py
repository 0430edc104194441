"""A nightly `sfenv backup prod` of an org that did not change adds no second tag on the same
snapshot: it says which backup already holds it, and exits 0 (issue 26)."""

from __future__ import annotations

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from tests.projects import local_project


@pytest.fixture
def prod(tmp_path, monkeypatch):
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch,
                       seed_types=False) as project:
        yield project


def test_an_unchanged_backup_adds_no_tag_and_names_the_one_that_holds_it(prod):
    first = prod.ok("backup", "prod", "--quiet").output
    assert "backup backup/prod/" in first
    [tag] = SnapshotStore(prod.root).tags("backup/prod/")
    for _night in range(2):
        again = prod.cli("backup", "prod", "--quiet")
        assert again.exit_code == 0, again.output
        assert f"prod: unchanged since {tag} ->" in again.output, again.output
    assert list(SnapshotStore(prod.root).tags("backup/")) == [tag]
    doc = prod.cli_json("backup", "prod", "--quiet")
    assert (doc["tag"], doc["unchanged"]) == (tag, True)


def test_a_named_backup_is_always_tagged(prod):
    prod.ok("backup", "prod", "--quiet")
    named = prod.ok("backup", "prod", "--quiet", "--tag", "pre-R2").output
    assert "backup pre-R2 ->" in named
    assert "pre-R2" in SnapshotStore(prod.root).tags("pre-R2")


def test_backups_of_an_unchanged_org_within_one_second_each_get_their_own_tag(prod, monkeypatch):
    """A promotion backs its target up even when it did not change (no reuse): two promotions
    of an unchanged target in one second made the third backup fail on a taken tag name."""
    from datetime import UTC, datetime

    from sfenv.services.pull import service

    monkeypatch.setattr(service, "_utc_now", lambda: datetime(2026, 12, 7, 8, 41, 47, tzinfo=UTC))
    monkeypatch.chdir(prod.root)
    tags = [service.backup_env(prod.config(), "prod").tag for _ in range(3)]
    assert len(set(tags)) == 3 and all(t.startswith("backup/prod/20261207T084147Z") for t in tags)
    assert set(SnapshotStore(prod.root).tags("backup/prod/")) == set(tags)
