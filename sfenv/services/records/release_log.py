"""The release log, `releases/<TRAIN>/log.json` on the releases ref: every promotion and
rollback attempt, in order, with who, when, ids, result, backup and verification."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sfenv.errors import ReleaseError, StoreError
from sfenv.services.train.model import LogEntry
from sfenv.services.train.train import RELEASES_REF, releases_head, train_folder

if TYPE_CHECKING:
    from sfenv.io.store.snapshots import SnapshotStore


IN_PROGRESS = "in_progress"  # intent recorded, outcome not yet (or never: interrupted)
UNVERIFIED = "unverified"  # deployed, but the verification pull failed
UNFINISHED = (IN_PROGRESS, "deploy_unknown", UNVERIFIED)
APPEND_ATTEMPTS = 50  # writers of other trains and environments move the ref meanwhile


def _same_as(stored: dict[str, Any], entry: LogEntry) -> bool:
    return (stored.get("action"), stored.get("env"), stored.get("started")) == \
        (entry.action, entry.env, entry.started)


def unfinished(entries: list[LogEntry], env: str, action: str = "promote") -> LogEntry | None:
    """The last `action` (promote or rollback) of `env` when it never reached an outcome (the
    process or the org went away, or the deploy's status could not be read), else None."""
    mine = [e for e in entries if e.env == env and e.action == action]
    return mine[-1] if mine and mine[-1].result in UNFINISHED else None


def _entries_at(store: SnapshotStore, head: str | None, train: str) -> list[LogEntry]:
    data = store.read_file(head, train_folder(train) + "log.json") if head else None
    if not data:
        return []
    return [LogEntry.from_json(e) for e in json.loads(data)]


def read_log(store: SnapshotStore, train: str) -> list[LogEntry]:
    return _entries_at(store, releases_head(store), train)


def read_logs(store: SnapshotStore) -> dict[str, list[LogEntry]]:
    """Every train's log at one head of the releases ref, read in one pass (one tree listing,
    one batch of blobs): what questions about an environment across trains need."""
    head = releases_head(store)
    if head is None:
        return {}
    found = {p.split("/")[1]: sha for p, sha in store.files(head).items()
             if p.startswith("releases/") and p.endswith("/log.json") and p.count("/") == 2}
    blobs = store.read_blobs(set(found.values()))
    return {train: [LogEntry.from_json(e) for e in json.loads(blobs[sha])]
            for train, sha in sorted(found.items()) if blobs.get(sha)}


def _block(entry: dict[str, Any]) -> str:
    """One entry as `json.dumps(log, indent=2, sort_keys=True)` writes it inside the list."""
    return "\n".join("  " + line
                     for line in json.dumps(entry, indent=2, sort_keys=True).splitlines())


def _log_text(blocks: list[str]) -> bytes:
    return ("[\n" + ",\n".join(blocks) + "\n]\n").encode()


def _raw_log(store: SnapshotStore, head: str | None,
             train: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(the log's entries as stored, each entry's encoded block) at `head`. The log is
    rewritten whole on every append, ~14 times a promotion: the entries are kept as stored
    (no round trip through LogEntry) and, after this process's own write, taken from the
    store's cache with their blocks, so an append encodes only its own entry."""
    cache = store.cache
    key = ("release-log", head, train)
    cached = cache.get(key)
    if isinstance(cached, tuple):
        return cached
    data = store.read_file(head, train_folder(train) + "log.json") if head else None
    raw = json.loads(data) if data else []
    return raw, [_block(e) for e in raw]


def append(store: SnapshotStore, train: str, entry: LogEntry,
           extra: Mapping[str, bytes] | None = None) -> tuple[str, bytes]:
    """Append `entry` (and any extra files under the train folder) in one commit.

    An entry recorded earlier as in progress (same action, env and start) is replaced: the
    log says what a promotion is about to do before each step and what happened after.
    The log is recomputed from the ref's head on every attempt, so a writer that lost the
    race (another promotion of the same train to another environment) never writes back a
    log without the winner's entry. Returns the commit and the new log.json bytes."""
    folder = train_folder(train)
    message = f"sfenv release {entry.action} {train} → {entry.env}: {entry.result}\n"
    mine = entry.to_dict()
    mine_block = _block(mine)
    for attempt in range(APPEND_ATTEMPTS):
        head = releases_head(store)
        raw, blocks = _raw_log(store, head, train)
        kept = [i for i, e in enumerate(raw)
                if not (e.get("result") in UNFINISHED and _same_as(e, entry))]
        raw = [raw[i] for i in kept] + [mine]
        blocks = [blocks[i] for i in kept] + [mine_block]
        data = _log_text(blocks)
        files = {folder + "log.json": data}
        files.update({folder + p: b for p, b in (extra or {}).items()})
        try:
            commit = store.write_ref_commit(RELEASES_REF, files, message, expected_old=head,
                                            base_commit=head)
        except StoreError:
            if releases_head(store) == head:
                raise
            time.sleep(random.random() * 0.02 * (attempt + 1))
            continue
        store.cache.pop(("release-log", head, train), None)
        store.cache[("release-log", commit, train)] = (raw, blocks)
        return commit, data
    raise ReleaseError(f"{RELEASES_REF} keeps moving: the log entry of {train} → {entry.env} "
                       f"could not be written; try again")
