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

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sfenv.errors import OrgError
from sfenv.metadata.registry import Registry

META_KEY = "source_tracking"
NOT_TRACKED = "INVALID_TYPE"  # "sObject type 'SourceMember' is not supported."
LATEST = "SELECT RevisionCounter FROM SourceMember ORDER BY RevisionCounter DESC LIMIT 1"
SINCE = ("SELECT MemberType, MemberName, IsNameObsolete, RevisionCounter FROM SourceMember "
         "WHERE RevisionCounter > {revision} ORDER BY RevisionCounter")


@dataclass(frozen=True)
class Relist:
    """The types an incremental pull lists again; a folder content type in `folders` is
    listed only in those folders (its other folders' rows are carried over)."""

    types: frozenset[str]
    folders: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def lists(self, type_name: str, full_name: str) -> bool:
        """Whether the component's row comes from this pull's listing (else it is carried)."""
        if type_name not in self.types:
            return False
        only = self.folders.get(type_name)
        return only is None or full_name.split("/", 1)[0] in only


@dataclass
class Changes:
    """What SourceMember says changed since the previous snapshot's counter."""

    rows: int  # SourceMember rows read
    relist: Relist | None  # None: list everything
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


def listing_scope(types: Mapping[str, list[str]], exclude: list[str],
                  include_managed: bool) -> str:
    """What decides which rows a listing keeps (manifest types, exclusions, managed): rows
    carried from a snapshot listed under another scope would not be a full pull's rows."""
    text = json.dumps([sorted((t, sorted(m)) for t, m in types.items()), sorted(exclude),
                       include_managed])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def since_when(previous_meta: dict | None, revision: int | None, scope: str, *,
               incremental: bool) -> tuple[int | None, str]:
    """(the counter to ask SourceMember from, or None to list everything; why)."""
    if revision is None:
        return None, "full listing (the org has no source tracking)"
    if not incremental:
        return None, "full listing"
    recorded = (previous_meta or {}).get(META_KEY) or {}
    if not isinstance(recorded.get("revision"), int):
        return None, "full listing (the last snapshot recorded no source-tracking counter)"
    if recorded.get("scope") != scope:
        return None, "full listing (manifest, exclude or include_managed changed)"
    if (previous_meta or {}).get("skipped"):
        return None, "full listing (the last snapshot has skipped or missing components)"
    if recorded["revision"] > revision:
        return None, "full listing (the org's counter went back: a refreshed sandbox?)"
    return recorded["revision"], ""


def changes_since(client, revision: int, registry: Registry) -> Changes:
    rows = client.query(SINCE.format(revision=int(revision)), tooling=True)
    members = [(str(r.get("MemberType") or ""), str(r.get("MemberName") or "")) for r in rows]
    return Changes(len(rows), *to_relist(members, registry))


def to_relist(members: Iterable[tuple[str, str]],
              registry: Registry) -> tuple[Relist | None, str]:
    """(what to list again, ""), or (None, why) when a row names a type sfenv does not know
    (listing everything is the safe answer). `members`: (MemberType, MemberName) pairs."""
    out: set[str] = set(registry.source_untracked()) | set(registry.always_refreshed())
    folders: dict[str, set[str]] = {}
    for member_type, member_name in set(members):
        name = registry.source_member_type(member_type)
        if name is None:
            return None, f"SourceMember names type {member_type!r}, unknown to the registry"
        out.add(name)
        found = registry.child(name)
        if found is not None:  # its parent's file changes with it
            out.add(found[0].name)
        t = registry.get(name)
        if t.folder_type:  # a report changed: list its folder only
            folders.setdefault(name, set()).add(member_name.split("/", 1)[0]
                                                if "/" in member_name else "")
    for name in list(out):  # a folder changed (added, renamed, gone): list all of its contents
        content = registry.folder_content_type(name)
        if content is not None:
            out.add(content.name)
            folders.pop(content.name, None)
    for name in list(out):
        t = registry.find(name)
        if t is not None and t.folder_type and name not in folders:
            out.add(t.folder_type)  # every folder is listed with all of its contents
    partial = {t: frozenset(f) for t, f in folders.items() if "" not in f}
    return Relist(frozenset(out), partial), ""
