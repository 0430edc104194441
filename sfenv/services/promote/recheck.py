"""The re-check just before a deploy call (#22): the validation of a production deploy runs for
minutes to hours, and someone may change a carried component meanwhile. The guard compared the
target as backed up; this re-reads the carried components' `lastModifiedDate` from the org
(listMetadata, at most three types a call) and names each one changed since the backup, so the
deploy does not overwrite it unnamed.

Components the org cannot list by type (permission entries, children without a listable
type) are checked through the component that holds them; components in folders (reports,
email templates, documents, dashboards) are listed by the folders the train carries into,
one query per folder (listMetadata takes three queries a call)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from sfenv.core.compare.diff import component_index
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.promote.guard import Conflict

LIST_FIELDS = ("fullName", "type", "lastModifiedDate", "lastModifiedByName")


class Lister(Protocol):
    def list_metadata(self, queries: list[dict], fields: Sequence[str] | None = None) -> list[dict]:
        ...


def checked_ids(carried: Iterable[str], known: Mapping[str, dict],
                registry: Registry) -> set[str]:
    """The ids whose dates tell whether `carried` changed: each one the org lists by its own
    type, else the component that holds it (in-folder ones too: `queries` lists them)."""
    out: set[str] = set()
    for text in carried:
        try:
            cid = ComponentId.parse(text)
            owner = cid if text in known else registry.parent_id(cid)
            kind = registry.get(owner.type)
        except (KeyError, ValueError):
            continue
        if kind.in_folder or kind.folder_type is None:
            out.add(str(owner) if text not in known else text)
    return out


def queries(ids: Iterable[str], registry: Registry) -> list[dict]:
    """listMetadata queries that list every id: one per type, and one per (type, folder) for
    types in folders (`Report:Sales/Pipeline` is listed with folder `Sales`)."""
    out: set[tuple[str, str]] = set()
    for text in ids:
        type_name, full_name = text.split(":", 1)
        in_folder = registry.get(type_name).in_folder and "/" in full_name
        out.add((type_name, full_name.rsplit("/", 1)[0] if in_folder else ""))
    return [{"type": t, "folder": f} if f else {"type": t} for t, f in sorted(out)]


def _day_time(value: str | None) -> str:
    return (value or "")[:19]  # 2026-10-02T14:31:07 (Salesforce adds .000Z, snapshots may not)


def _other_hand_same_second(row: Mapping[str, object], before: Mapping[str, object],
                            now: str, was: str) -> bool:
    """Dates have whole seconds (Salesforce lists `.000Z`): a change in the backup's own second
    shows only as another author."""
    by = row.get("lastModifiedByName")
    return now == was and bool(by) and by != before.get("lastModifiedByName")


def changed_since(store: SnapshotStore, backup_commit: str, client: Lister,
                  carried: Iterable[str], registry: Registry,
                  skip: Iterable[str] = ()) -> list[Conflict]:
    """The carried components the org reports changed (or created) after the backup. `skip`:
    components an earlier wave of this promotion deployed; their dates (and those of the
    components that hold them) moved with that deploy, not by hand."""
    known = component_index(store, backup_commit)
    ids = checked_ids(carried, known, registry) - checked_ids(skip, known, registry)
    asks = queries(ids, registry)
    found: list[Conflict] = []
    for start in range(0, len(asks), 3):
        rows = client.list_metadata(asks[start:start + 3], LIST_FIELDS)
        for row in rows:
            cid = f"{row.get('type')}:{row.get('fullName')}"
            if cid not in ids:
                continue
            before = known.get(cid) or {}
            now = _day_time(row.get("lastModifiedDate"))
            was = _day_time(before.get("lastModifiedDate"))
            if now and (now > was or _other_hand_same_second(row, before, now, was)):
                found.append(Conflict(
                    component=cid, kind="modified" if was else "added",
                    changed_by=row.get("lastModifiedByName"),
                    changed_on=row.get("lastModifiedDate"),
                    reason="changed after the backup, while the promotion validated"))
    return sorted(found, key=lambda c: c.component)
