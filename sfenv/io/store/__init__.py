"""Snapshots as git commits and refs (see snapshots.py): the only layer that writes git."""

from sfenv.io.store.snapshots import LogEntry, SnapshotStore, TreeChange

__all__ = ["LogEntry", "SnapshotStore", "TreeChange"]
