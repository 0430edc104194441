"""Source tracking: the Tooling API's `SourceMember` rows of one local org.

As in Salesforce, only orgs with source tracking offer SourceMember (scratch orgs, and
Developer / Developer Pro sandboxes with tracking switched on): a production org never does,
whatever its flag says, and a query on an org without tracking fails with INVALID_TYPE.

One row per (MemberType, MemberName), updated in place on every change with the next value of
one org-wide, ever-increasing `RevisionCounter`. Salesforce never deletes a SourceMember: a
deleted component's row gets `IsNameObsolete = true`. Child components (CustomField
`Account.Region__c`...) get rows of their own when they change. `IsNewMember` is true while a
row has seen one change only (the member's first tracked change).

Persisted as a plain dict inside state.json: `{"counter": int, "rows": {"Type:Name": row}}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sfenv.localorg.state.ids import component_id

KEY_PREFIX = "0MZ"



def member_id_or_name(org_id: str, type_name: str, name: str) -> str:
    """Salesforce: the name for standard objects (Account), the component's id otherwise."""
    if type_name == "CustomObject" and "__" not in name:
        return name
    return component_id(org_id, type_name, name)


def split_member(cid: object) -> tuple[str, str]:
    """("ApexClass", "Foo") from a ComponentId or its text "ApexClass:Foo"."""
    type_name = getattr(cid, "type", None)
    full_name = getattr(cid, "full_name", None)
    if isinstance(type_name, str) and isinstance(full_name, str):
        return type_name, full_name
    type_name, _, full_name = str(cid).partition(":")
    return type_name, full_name


class SourceMembers:
    """The rows of one org, kept in `store` (the persisted dict); the caller holds the lock."""

    def __init__(self, store: dict) -> None:
        store.setdefault("counter", 0)
        store.setdefault("rows", {})
        self._store = store

    @property
    def counter(self) -> int:
        return int(self._store["counter"])

    def record(self, cids: Iterable[object], *, org_id: str, user_id: str, when: str,
               new_id: Callable[[str], str], deleted: bool = False) -> None:
        """Each component changed (or was deleted) by `user_id` at `when`: its row moves to the
        next revision."""
        rows: dict[str, dict] = self._store["rows"]
        for cid in cids:
            type_name, name = split_member(cid)
            key = f"{type_name}:{name}"
            self._store["counter"] += 1
            row = rows.get(key)
            if row is None:
                row = {"Id": new_id(KEY_PREFIX), "MemberType": type_name, "MemberName": name,
                       "MemberIdOrName": member_id_or_name(org_id, type_name, name),
                       "IsNewMember": not deleted, "CreatedDate": when,
                       "CreatedById": user_id, "RevisionNum": 0}
                rows[key] = row
            else:
                row["IsNewMember"] = False
            row.update(RevisionCounter=self._store["counter"], RevisionNum=row["RevisionNum"] + 1,
                       IsNameObsolete=deleted, ChangedBy=user_id, LastModifiedDate=when,
                       LastModifiedById=user_id)

    def rows(self) -> list[dict]:
        """Copies of every row, in RevisionCounter order."""
        return sorted((dict(r) for r in self._store["rows"].values()),
                      key=lambda r: r["RevisionCounter"])
