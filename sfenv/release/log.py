"""The release log, `releases/<TRAIN>/log.json` on the releases ref: every promotion and
rollback attempt, in order, with who, when, ids, result, backup and verification."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sfenv.release.model import LogEntry
from sfenv.release.train import commit_files, releases_head, train_folder


def read_log(store: Any, train: str) -> list[LogEntry]:
    head = releases_head(store)
    data = store.read_file(head, train_folder(train) + "log.json") if head else None
    if not data:
        return []
    return [LogEntry.from_json(e) for e in json.loads(data)]


def append(store: Any, train: str, entry: LogEntry,
           extra: Mapping[str, bytes] | None = None) -> tuple[str, bytes]:
    """Append `entry` (and any extra files under the train folder) in one commit.

    Returns the commit and the new log.json bytes (for the on-disk export)."""
    entries = [e.to_dict() for e in read_log(store, train)] + [entry.to_dict()]
    data = (json.dumps(entries, indent=2, sort_keys=True) + "\n").encode()
    folder = train_folder(train)
    files = {folder + "log.json": data}
    files.update({folder + p: b for p, b in (extra or {}).items()})
    commit = commit_files(store, files, f"sfenv release {entry.action} {train} → {entry.env}: "
                                        f"{entry.result}\n")
    return commit, data
