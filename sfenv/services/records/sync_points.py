"""Record a hop's base: A and B at these commits are in sync (`refs/sfenv/sync/<A>/<B>`).

Called by `sfenv sync-point` (`accept=True`) and by the release engine after each promotion.
What the record holds (the differences that remain and their classes, the per-component
bases) is computed by `sfenv.core.compare.status.sync_point_record`; each record is a commit on the
hop's ref, so the history of sync points is kept.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

from sfenv.config.model import Config
from sfenv.core.compare.inventory import Splitter
from sfenv.core.compare.status import SYNC_FILE, StatusReader, sync_point_record, sync_ref
from sfenv.core.metadata.registry import Registry
from sfenv.services.records.refwrite import RefWriter, write_record


class SyncStore(StatusReader, RefWriter, Protocol):
    """What recording a sync point needs of a store (`sfenv.io.store.snapshots.SnapshotStore`)."""


def record_sync_point(store: SyncStore, a: str, b: str, a_commit: str, b_commit: str,
                      reason: str = "", *, by: str | None = None, accept: bool = False,
                      config: Config | None = None, registry: Registry | None = None,
                      split: Splitter | None = None,
                      released: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """Record A at `a_commit` and B at `b_commit` as the base of hop A→B; the new commit.
    `by` defaults to the user running sfenv; `released`: what a promotion wrote in B
    (`sync_point_record`)."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    doc = sync_point_record(store, a, b, a_commit, b_commit, reason, by=by or _user(),
                            when=when, accept=accept, config=config, registry=registry,
                            split=split, released=released)
    data = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
    message = f"sfenv sync-point {a} {b}: {reason or 'in sync'}\n\n" + data.decode()
    return write_record(store, sync_ref(a, b), lambda: {SYNC_FILE: data}, message,
                        f"the sync point {a} → {b}")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
