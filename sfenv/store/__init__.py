"""Snapshots as git commits and refs (see snapshots.py): the only layer that writes git."""

from sfenv.store.snapshots import LogEntry, SnapshotStore, TreeChange

__all__ = ["LogEntry", "SnapshotStore", "TreeChange"]
