"""The release log, `releases/<TRAIN>/log.json` on the releases ref: every promotion and
rollback attempt, in order, with who, when, ids, result, backup and verification."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sfenv.release.model import LogEntry
from sfenv.release.train import commit_files, releases_head, train_folder

if TYPE_CHECKING:
    from sfenv.store.snapshots import SnapshotStore


IN_PROGRESS = "in_progress"  # intent recorded, outcome not yet (or never: interrupted)
UNVERIFIED = "unverified"  # deployed, but the verification pull failed
UNFINISHED = (IN_PROGRESS, "deploy_unknown", UNVERIFIED)


def _same(a: LogEntry, b: LogEntry) -> bool:
    return (a.action, a.env, a.started) == (b.action, b.env, b.started)


def unfinished(entries: list[LogEntry], env: str) -> LogEntry | None:
    """The last promotion to `env` when it never reached an outcome (the process or the org
    went away, or the deploy's status could not be read), else None."""
    mine = [e for e in entries if e.env == env and e.action == "promote"]
    return mine[-1] if mine and mine[-1].result in UNFINISHED else None


def read_log(store: SnapshotStore, train: str) -> list[LogEntry]:
    head = releases_head(store)
    data = store.read_file(head, train_folder(train) + "log.json") if head else None
    if not data:
        return []
    return [LogEntry.from_json(e) for e in json.loads(data)]


def append(store: SnapshotStore, train: str, entry: LogEntry,
           extra: Mapping[str, bytes] | None = None) -> tuple[str, bytes]:
    """Append `entry` (and any extra files under the train folder) in one commit.

    An entry recorded earlier as in progress (same action, env and start) is replaced: the
    log says what a promotion is about to do before each step and what happened after.
    Returns the commit and the new log.json bytes (for the on-disk export)."""
    entries = [e.to_dict() for e in read_log(store, train)
               if not (e.result in UNFINISHED and _same(e, entry))] + [entry.to_dict()]
    data = (json.dumps(entries, indent=2, sort_keys=True) + "\n").encode()
    folder = train_folder(train)
    files = {folder + "log.json": data}
    files.update({folder + p: b for p, b in (extra or {}).items()})
    commit = commit_files(store, files, f"sfenv release {entry.action} {train} → {entry.env}: "
                                        f"{entry.result}\n")
    return commit, data
