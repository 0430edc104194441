"""`sfenv log`: the snapshot history of an environment with what each pull changed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sfenv.metadata.ids import ComponentId
from sfenv.metadata.registry import Registry, default_registry
from sfenv.store.snapshots import SnapshotStore

INDEX_PATH = ".sfenv/components.json"


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

    def to_json(self) -> dict:
        return asdict(self)


def _top_index(store: SnapshotStore, commit: str, registry: Registry) -> dict[str, str]:
    data = store.read_file(commit, INDEX_PATH)
    index = json.loads(data) if data else {}
    return {k: v.get("lastModifiedDate", "") for k, v in index.items()
            if registry.child(ComponentId.parse(k).type) is None}


def snapshot_log(store: SnapshotStore, env: str, limit: int = 20,
                 registry: Registry | None = None) -> list[LogRow]:
    """Newest first; counts compare each snapshot's component index with its parent's."""
    registry = registry or default_registry()
    entries = store.log(env, limit=limit)
    tags_by_commit: dict[str, list[str]] = {}
    for name, commit in store.tags("backup/").items():
        tags_by_commit.setdefault(commit, []).append(name)
    rows = []
    for entry in entries:
        meta = entry.meta
        now = _top_index(store, entry.commit, registry)
        before = _top_index(store, entry.parents[0], registry) if entry.parents else {}
        rows.append(LogRow(
            commit=entry.commit,
            when=str(meta.get("finished") or entry.date),
            components=len(now),
            added=len(now.keys() - before.keys()),
            removed=len(before.keys() - now.keys()),
            changed=sum(1 for k in now.keys() & before.keys() if now[k] != before[k]),
            incremental=bool(meta.get("incremental")),
            skipped=len(meta.get("skipped") or []),
            tags=sorted(tags_by_commit.get(entry.commit, [])),
        ))
    return rows
