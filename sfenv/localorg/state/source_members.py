"""Source tracking: the Tooling API's `SourceMember` rows of one local org.

As in Salesforce, only orgs with source tracking offer SourceMember (scratch orgs, and
Developer / Developer Pro sandboxes with tracking switched on): a production org never does,
whatever its flag says, and a query on an org without tracking fails with INVALID_TYPE.

One row per (MemberType, MemberName), updated in place on every change with the next value of
one org-wide, ever-increasing `RevisionCounter`. Salesforce never deletes a SourceMember: a
deleted component's row gets `IsNameObsolete = true`. Child components (CustomField
`Account.Region__c`...) get rows of their own when they change. `IsNewMember` is true while a
row has seen one change only (the member's first tracked change). `ChangedBy` holds the
Id of the user who made the change, as on Salesforce. Container files that are no component
of their own (`CustomLabels`: Salesforce tracks each `CustomLabel`) get no row.

Types a real org does not record, or not reliably (`UNTRACKED_TYPES`, the registry's
`source_untracked`: the coverage report's untracked types, and those the Salesforce CLI's
source-tracking library does not wait for after a deploy), are never recorded here. A client
must keep listing them.

Persisted as a plain dict inside state.json: `{"counter": int, "rows": {"Type:Name": row}}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import default_registry
from sfenv.localorg.state.ids import component_id
from sfenv.localorg.state.people import User

KEY_PREFIX = "0MZ"
# One list for the org and for the pull that reads it (the registry's `source_untracked`).
UNTRACKED_TYPES = default_registry().source_untracked()
# files holding children only: their children get rows, the file itself never does
CONTAINER_TYPES = frozenset({"CustomLabels"})


def split_member(cid: ComponentId | str) -> tuple[str, str]:
    """("ApexClass", "Foo") from a ComponentId or its text "ApexClass:Foo"."""
    if isinstance(cid, ComponentId):
        return cid.type, cid.full_name
    type_name, _, full_name = cid.partition(":")
    return type_name, full_name


class SourceMembers:
    """The rows of one org, kept in `store` (the persisted dict); the caller holds the lock."""

    def __init__(self, store: dict) -> None:
        store.setdefault("counter", 0)
        store.setdefault("rows", {})
        self._store = store

    def record(self, cids: Iterable[ComponentId | str], *, org_id: str, user: User, when: str,
               new_id: Callable[[str], str], deleted: bool = False) -> None:
        """Each component changed (or was deleted) by `user` at `when`: its row moves to the
        next revision. Untracked types are left out."""
        rows: dict[str, dict] = self._store["rows"]
        for cid in cids:
            type_name, name = split_member(cid)
            if type_name in UNTRACKED_TYPES or type_name in CONTAINER_TYPES:
                continue
            key = f"{type_name}:{name}"
            self._store["counter"] += 1
            row = rows.get(key)
            if row is None:
                row = {"Id": new_id(KEY_PREFIX), "MemberType": type_name, "MemberName": name,
                       # the name for standard objects, else the id: CustomObject is untracked
                       "MemberIdOrName": component_id(org_id, type_name, name),
                       "IsNewMember": not deleted, "CreatedDate": when,
                       "CreatedById": user.id, "RevisionNum": 0}
                rows[key] = row
            else:
                row["IsNewMember"] = False
            row.update(RevisionCounter=self._store["counter"], RevisionNum=row["RevisionNum"] + 1,
                       IsNameObsolete=deleted, ChangedBy=user.id, LastModifiedDate=when,
                       LastModifiedById=user.id)

    def rows(self) -> list[dict]:
        """Copies of every row, in RevisionCounter order."""
        return sorted((dict(r) for r in self._store["rows"].values()),
                      key=lambda r: r["RevisionCounter"])
