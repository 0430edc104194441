"""`sfenv log`: the snapshot history of an environment — what each snapshot changed, counted
as `sfenv diff` counts (child components such as fields and validation rules included), and
what made it (a pull, a backup, the promotion or rollback of a train, a refresh).

What made a snapshot is read, in order, from: the snapshot meta's `origin`
(`{"kind": "pull"|"backup"|"promotion"|"rollback"|"verification", "train": T}`, when the
writer records it), the release logs (a promotion's pre-deploy backup and verification pull,
a rollback's verification pull), backup tags on the commit, and the meta's `refresh`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sfenv.core.compare.diff import diff_commits
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.io.store.format import INDEX_PATH, META_ORIGIN, META_REFRESH
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records.backups import list_backups
from sfenv.services.records.release_log import read_log
from sfenv.services.train.train import releases_head


@dataclass
class LogRow:
    commit: str
    when: str
    components: int
    added: int
    changed: int
    removed: int
    incremental: bool
    skipped: int
    tags: list[str]
    made_by: str = "pull"  # "pull" | "backup" | "backup before promotion of T" | "promotion of T" | ...
    trains: list[str] = field(default_factory=list)
    completeness: dict | None = None  # accounting totals when the snapshot recorded them
    refresh: dict | None = None  # org id change accepted with --new-org

    def to_json(self) -> dict:
        return asdict(self)


def _index(store: SnapshotStore, commit: str) -> dict[str, dict]:
    data = store.read_file(commit, INDEX_PATH)
    try:
        index = json.loads(data) if data else {}
    except ValueError:
        return {}
    return index if isinstance(index, dict) else {}


def _top_count(index: dict[str, dict], registry: Registry) -> int:
    return sum(1 for k in index if registry.child(ComponentId.parse(k).type) is None)


def release_origins(store: SnapshotStore) -> dict[str, list[tuple[str, str]]]:
    """commit -> [(what, train)] from every release log: pre-deploy backups and the pulls that
    verified a promotion or a rollback."""
    out: dict[str, list[tuple[str, str]]] = {}
    head = releases_head(store)
    if head is None:
        return out
    trains = sorted({p.split("/")[1] for p in store.files(head)
                     if p.startswith("releases/") and p.endswith("/log.json") and p.count("/") == 2})
    for train in trains:
        for entry in read_log(store, train):
            if entry.action == "promote" and entry.backup_commit:
                out.setdefault(entry.backup_commit, []).append(("backup before promotion", train))
            if entry.after_commit:
                what = "rollback" if entry.action == "rollback" else "promotion"
                out.setdefault(entry.after_commit, []).append((what, train))
    return out


def _made_by(meta: dict, origins: list[tuple[str, str]], tags: list[str]) -> tuple[str, list[str]]:
    origin = meta.get(META_ORIGIN)
    if isinstance(origin, dict) and origin.get("kind"):
        train = str(origin.get("train") or "")
        return (f"{origin['kind']} of {train}" if train else str(origin["kind"]),
                [train] if train else [])
    if origins:
        # the verification pull of a promotion is what changed the env; a backup label is weaker
        ranked = sorted(origins, key=lambda o: o[0].startswith("backup"))
        labels = list(dict.fromkeys(f"{what} of {train}" for what, train in ranked))
        return "; ".join(labels), sorted({train for _what, train in origins})
    if tags:
        return "backup", []
    return "pull", []


def _completeness(meta: dict) -> dict | None:
    accounting = meta.get("accounting")
    if not isinstance(accounting, dict) or not isinstance(accounting.get("totals"), dict):
        return None
    totals = {k: v for k, v in accounting["totals"].items() if isinstance(v, int)}
    if accounting.get("incomplete"):
        totals["incomplete"] = str(accounting["incomplete"])
    return totals


def snapshot_log(store: SnapshotStore, env: str, limit: int = 20,
                 registry: Registry | None = None) -> list[LogRow]:
    """Newest first. Counts are those of the diff between each snapshot and the one before it
    (children included); the first snapshot counts every indexed component as added."""
    registry = registry or default_registry()  # entry point: the CLI passes the Workspace's
    entries = store.log(env, limit=limit)
    tags_by_commit: dict[str, list[str]] = {}
    for backup in list_backups(store):
        tags_by_commit.setdefault(backup.commit, []).append(backup.tag)
    origins = release_origins(store)
    rows = []
    for entry in entries:
        meta = entry.meta
        index = _index(store, entry.commit)
        added = changed = removed = 0
        if entry.parents:
            diff = diff_commits(store, entry.parents[0], entry.commit, registry=registry)
            for change in diff.changes:
                if change.kind == "added":
                    added += 1
                elif change.kind == "removed":
                    removed += 1
                else:
                    changed += 1
        else:
            added = len(index)
        tags = sorted(tags_by_commit.get(entry.commit, []))
        made_by, trains = _made_by(meta, origins.get(entry.commit, []), tags)
        refresh = meta.get(META_REFRESH) if isinstance(meta.get(META_REFRESH), dict) else None
        if refresh:
            made_by = f"{made_by}; refresh (org {refresh.get('from_org_id', '?')} → " \
                      f"{refresh.get('to_org_id', '?')})"
        rows.append(LogRow(
            commit=entry.commit,
            when=str(meta.get("finished") or entry.date),
            components=int(meta["components"]) if isinstance(meta.get("components"), int)
            else _top_count(index, registry),
            added=added, changed=changed, removed=removed,
            incremental=bool(meta.get("incremental")),
            skipped=len(meta.get("skipped") or []),
            tags=tags, made_by=made_by, trains=trains,
            completeness=_completeness(meta), refresh=refresh,
        ))
    return rows
