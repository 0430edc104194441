"""Source tracking: what changed in an org since the previous snapshot, from SourceMember.

Scratch orgs and Developer / Developer Pro sandboxes with source tracking keep one Tooling API
`SourceMember` row per changed component (type, name, `RevisionCounter`, `IsNameObsolete` for
a delete), updated in place with the next value of one org-wide counter. Other orgs answer a
query for it with INVALID_TYPE. A pull records the counter it started from in the snapshot
meta (`source_tracking.revision`); the next incremental pull asks for the rows above it and
lists only the types they name, plus the types tracking does not record
(`Registry.source_untracked`) and those re-read every time (`Registry.always_refreshed`).
Every other type keeps the previous snapshot's rows (see `list_inventory`'s `carried`).

The counter is read before anything is listed, so a change made while a pull runs is seen
again by the next one (reading it twice is harmless; missing it would not be).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sfenv.errors import OrgError
from sfenv.metadata.registry import Registry

META_KEY = "source_tracking"
NOT_TRACKED = "INVALID_TYPE"  # "sObject type 'SourceMember' is not supported."
LATEST = "SELECT RevisionCounter FROM SourceMember ORDER BY RevisionCounter DESC LIMIT 1"
SINCE = ("SELECT MemberType, MemberName, IsNameObsolete, RevisionCounter FROM SourceMember "
         "WHERE RevisionCounter > {revision} ORDER BY RevisionCounter")


@dataclass
class Changes:
    """What SourceMember says changed since the previous snapshot's counter."""

    rows: int  # SourceMember rows read
    relist: frozenset[str] | None  # types to list again; None: list everything
    reason: str = ""  # why everything is listed, when it is


def latest_revision(client) -> int | None:
    """The org's current RevisionCounter (0 with no row yet); None when the org has no
    source tracking (production, most sandboxes)."""
    try:
        rows = client.query(LATEST, tooling=True)
    except OrgError as err:
        if err.code == NOT_TRACKED:
            return None
        raise
    return int(rows[0]["RevisionCounter"]) if rows else 0


def previous_revision(meta: dict | None) -> int | None:
    value = ((meta or {}).get(META_KEY) or {}).get("revision")
    return int(value) if isinstance(value, int) else None


def changes_since(client, revision: int, registry: Registry) -> Changes:
    rows = client.query(SINCE.format(revision=int(revision)), tooling=True)
    return Changes(len(rows), *types_to_relist((str(r.get("MemberType") or "") for r in rows),
                                               registry))


def types_to_relist(member_types: Iterable[str],
                    registry: Registry) -> tuple[frozenset[str] | None, str]:
    """(the types to list again, ""), or (None, why) when a row names a type sfenv does not
    know (listing everything is the safe answer)."""
    out: set[str] = set(registry.source_untracked()) | set(registry.always_refreshed())
    for member_type in set(member_types):
        name = registry.source_member_type(member_type)
        if name is None:
            return None, f"SourceMember names type {member_type!r}, unknown to the registry"
        out.add(name)
        found = registry.child(name)
        if found is not None:  # its parent's file changes with it
            out.add(found[0].name)
    for name in list(out):  # a folder and its contents are listed together
        t = registry.find(name)
        if t is not None and t.folder_type:
            out.add(t.folder_type)
        content = registry.folder_content_type(name)
        if content is not None:
            out.add(content.name)
    return frozenset(out), ""
