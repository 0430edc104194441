"""`backup prune` racing what it prunes (issue 23): a promotion's backup tag exists before the
log entry that names it, a named backup may look timestamped; neither is ever deleted."""

from __future__ import annotations

import pytest

from sfenv.services.records import backups
from sfenv.services.records.backups import list_backups, prune_backups
from tests.reliability.promote_kit import Path2, finished_deployed, two_orgs


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from two_orgs(tmp_path_factory.mktemp("relprune"))


def test_prune_between_a_promotion_s_backup_and_its_log_entry_keeps_the_tag(path2: Path2,
                                                                           monkeypatch):
    """The issue's loop, made deterministic: prune runs in the window, with a policy that
    keeps nothing by age."""
    import sfenv.services.promote.promotion as promote

    train, value = path2.new_train()
    original = promote.compute_checklist
    pruned: list[backups.PruneResult] = []

    def prune_then_checklist(*args, **kwargs):
        pruned.append(prune_backups(path2.store, keep_daily=0, keep_weekly=0))
        return original(*args, **kwargs)

    monkeypatch.setattr(promote, "compute_checklist", prune_then_checklist)
    path2.ok("release", "promote", train, "--to", "qa")
    entry = finished_deployed(path2, train, value)
    assert pruned and not pruned[0].removed, [b.tag for b in pruned[0].removed]
    assert entry["backup_tag"] in path2.store.tags("backup/qa/"), "the log names a deleted tag"


def test_prune_in_a_loop_never_deletes_a_tag_a_log_entry_or_a_named_backup_names(path2: Path2):
    train, _ = path2.new_train()
    path2.ok("backup", "qa", "--tag", "backup/qa/20250101T000000Z")  # named, looks timestamped
    path2.ok("release", "promote", train, "--to", "qa")
    for _ in range(3):
        prune_backups(path2.store, keep_daily=0, keep_weekly=0)
    tags = {b.tag: b for b in list_backups(path2.store)}
    assert "backup/qa/20250101T000000Z" in tags and tags["backup/qa/20250101T000000Z"].named
    logged = {e["backup_tag"] for e in path2.log(train) if e.get("backup_tag")}
    assert logged and logged <= set(tags)
