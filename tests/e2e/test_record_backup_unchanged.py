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
