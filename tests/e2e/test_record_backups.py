"""Backups: named ones listed, a tag name checked before the pull, pruning by day and week that
never removes what the release record points to."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records.backups import (
    MESSAGE,
    BackupError,
    check_tag_name,
    list_backups,
    prune_backups,
)
from sfenv.services.train.train import commit_files
from tests.projects import OFFLINE_PROD_YML

# an org nobody answers at: a pull would fail with exit 3, so exit 2 proves the check came first
YML = OFFLINE_PROD_YML


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "sfenv.yml").write_text(YML)
    monkeypatch.setenv("SFENV_TEST_NOBODY", "x")
    monkeypatch.chdir(tmp_path)
    store = SnapshotStore(tmp_path)
    commit = store.write_snapshot("prod", {"a.txt": b"a\n"}, {"env": "prod", "components": 1},
                                  expected_old=None)
    return tmp_path, store, commit


def _backup(store, name, commit, env="prod", when: str | None = None):
    """A backup tag as `sfenv backup` makes it: a timestamped one is tagged at its stamp."""
    stamp = name.rsplit("/", 1)[-1]
    if when is None and name.startswith("backup/") and len(stamp) == 16:
        when = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"
    store.git.run(["tag", "-a", "-m", f"{MESSAGE}{env} (1 component)", name, commit],
                  env={"GIT_COMMITTER_DATE": when} if when else None)


def test_named_backups_are_listed_with_the_timestamped_ones(project):
    _, store, commit = project
    _backup(store, "backup/prod/20261120T010000Z", commit)
    _backup(store, "pre-R2", commit)
    store.tag("release/R1", commit, "sfenv release R1")  # not a backup
    backups = {b.tag: b for b in list_backups(store)}
    assert set(backups) == {"backup/prod/20261120T010000Z", "pre-R2"}
    assert backups["pre-R2"].named and backups["pre-R2"].env == "prod"
    assert backups["backup/prod/20261120T010000Z"].date == "2026-11-20T01:00:00Z"
    out = CliRunner().invoke(main, ["backup", "list", "--json"])
    assert out.exit_code == 0, out.output
    assert {b["tag"] for b in json.loads(out.output)} == set(backups)


@pytest.mark.parametrize("bad", ["has space", "a..b", "x:y", "-lead", "end.lock", "trail/", "q?"])
def test_an_invalid_tag_name_is_refused_before_the_pull(project, bad):
    result = CliRunner().invoke(main, ["backup", "prod", "--tag", bad])
    assert result.exit_code == 2, result.output
    assert "not a valid git tag name" in result.output
    assert "cannot reach" not in result.output and "Traceback" not in result.output


def test_a_repeated_tag_name_is_refused_before_the_pull(project):
    _, store, commit = project
    _backup(store, "pre-R2", commit)
    result = CliRunner().invoke(main, ["backup", "prod", "--tag", "pre-R2"])
    assert result.exit_code == 2, result.output
    assert "pre-R2 already exists" in result.output
    with pytest.raises(BackupError):
        check_tag_name(store, "pre-R2")
    assert check_tag_name(store, "pre-R3") == "pre-R3"


def test_prune_keeps_one_per_day_and_week_and_what_the_release_log_names(project):
    _, store, commit = project
    stamps = ["20261126T230000Z", "20261126T010000Z",  # Thu: newest kept (daily)
              "20261125T120000Z",  # Wed: kept (daily, 2 days)
              "20261124T120000Z",  # Tue: removed
              "20261118T120000Z", "20261117T120000Z",  # previous week: newest kept (weekly)
              "20261110T120000Z",  # two weeks back: removed... unless the log names it
              "20261103T120000Z"]  # three weeks back: removed
    for s in stamps:
        _backup(store, f"backup/prod/{s}", commit)
    _backup(store, "pre-R2", commit)
    log = [{"action": "promote", "env": "prod", "result": "deployed",
            "backup_tag": "backup/prod/20261110T120000Z"}]
    commit_files(store, {"releases/R1/log.json": json.dumps(log).encode()}, "log\n")
    dry = prune_backups(store, keep_daily=2, keep_weekly=2, dry_run=True)
    assert sorted(b.tag for b in dry.removed) == [
        "backup/prod/20261103T120000Z", "backup/prod/20261117T120000Z",
        "backup/prod/20261124T120000Z", "backup/prod/20261126T010000Z"]
    assert [b.tag for b in dry.protected] == ["backup/prod/20261110T120000Z"]
    assert len(list_backups(store)) == 9  # a dry run removes nothing
    out = CliRunner().invoke(main, ["backup", "prune", "--keep-daily", "2", "--keep-weekly", "2"])
    assert out.exit_code == 0, out.output
    assert "4 removed" in out.output and "release record points to it" in out.output
    left = {b.tag for b in list_backups(store)}
    assert left == {"backup/prod/20261126T230000Z", "backup/prod/20261125T120000Z",
                    "backup/prod/20261118T120000Z", "backup/prod/20261110T120000Z", "pre-R2"}
    assert store.head("prod") == commit  # tags only: the history stays


def test_a_named_backup_whose_name_looks_timestamped_is_never_pruned(project):
    _, store, commit = project
    _backup(store, "backup/prod/20250101T000000Z", commit, when="2026-11-01T00:00:00Z")
    backup = list_backups(store)[0]
    assert backup.named, "tagged in 2026 with a 2025 stamp: given with --tag, not a default"
    result = prune_backups(store, keep_daily=0, keep_weekly=0)
    assert not result.removed and list_backups(store)[0].tag == "backup/prod/20250101T000000Z"


def test_a_named_backup_says_so_in_its_annotation():
    from sfenv.services.records.backups import annotation

    assert annotation("prod", 1, named=True) == f"{MESSAGE}prod (1 component, named)"
    assert annotation("prod", 83, named=False) == f"{MESSAGE}prod (83 components)"


def test_a_backup_tagged_in_the_last_hour_is_never_pruned(project):
    """The promotion race: its backup tag exists before the log entry that names it."""
    _, store, commit = project
    _backup(store, "backup/prod/20261101T000000Z", commit)  # old: pruned
    fresh = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    _backup(store, f"backup/prod/{fresh}", commit)
    result = prune_backups(store, keep_daily=0, keep_weekly=0)
    assert [b.tag for b in result.removed] == ["backup/prod/20261101T000000Z"]
    assert [b.tag for b in result.protected] == [f"backup/prod/{fresh}"]
    assert "last hour" in result.why[f"backup/prod/{fresh}"]
    out = CliRunner().invoke(main, ["backup", "prune", "--keep-daily", "0"])
    assert f"kept backup/prod/{fresh} (created in the last hour" in out.output, out.output


def test_prune_needs_a_policy(project):
    result = CliRunner().invoke(main, ["backup", "prune"])
    assert result.exit_code == 2 and "--keep-daily" in result.output
