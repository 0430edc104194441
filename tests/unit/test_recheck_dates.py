"""The re-check before the deploy call reads whole-second dates (Salesforce lists `.000Z`): a
hand change made in the backup's own second must still be named when another person made it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sfenv.core.metadata.registry import default_registry
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.promote.recheck import changed_since

CLASS = "ApexClass:Billing"
AT = "2026-12-07T00:31:39.000Z"


class Listed:
    """What the org's listMetadata answers for the class now."""

    def __init__(self, date: str, by: str) -> None:
        self.row = {"type": "ApexClass", "fullName": "Billing", "lastModifiedDate": date,
                    "lastModifiedByName": by}

    def list_metadata(self, queries: list[dict], fields: Sequence[str] | None = None) -> list[dict]:
        return [self.row]


def backup(tmp_path) -> tuple[SnapshotStore, str]:
    store = SnapshotStore(tmp_path / "repo")
    index = {CLASS: {"type": "ApexClass", "fullName": "Billing", "lastModifiedDate": AT,
                     "lastModifiedByName": "Org Admin"}}
    commit = store.write_snapshot("qa", {
        "classes/Billing.cls": b"public class Billing {}\n",
        ".sfenv/components.json": json.dumps(index).encode()}, {}, expected_old=None)
    return store, commit


def test_another_persons_change_in_the_backups_own_second_is_named(tmp_path):
    store, commit = backup(tmp_path)
    found = changed_since(store, commit, Listed(AT, "Hand User"), [CLASS], default_registry())
    assert [(c.component, c.changed_by) for c in found] == [(CLASS, "Hand User")]


def test_the_same_date_and_author_as_the_backup_is_no_change(tmp_path):
    store, commit = backup(tmp_path)
    assert changed_since(store, commit, Listed(AT, "Org Admin"), [CLASS], default_registry()) == []


def test_a_later_second_is_a_change_whoever_made_it(tmp_path):
    store, commit = backup(tmp_path)
    later = "2026-12-07T00:31:40.000Z"
    found = changed_since(store, commit, Listed(later, "Org Admin"), [CLASS], default_registry())
    assert [c.component for c in found] == [CLASS]
