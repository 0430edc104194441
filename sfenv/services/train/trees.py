"""A snapshot commit seen as a read-only mapping path -> bytes, read lazily from the store.

A release touches a handful of files of an org that may hold hundreds of MB: only the blobs
actually packaged are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfenv.io.store.snapshots import SnapshotStore


def prefetch(tree: Mapping[str, bytes], paths: Iterable[str]) -> None:
    """Read `paths` of `tree` in one batch when it reads lazily (a StoreTree, or a view of
    one); a tree in memory has nothing to do."""
    batch = getattr(tree, "prefetch", None)
    if batch is not None:
        batch(paths)


class StoreTree(Mapping[str, bytes]):
    """`store.files(commit)` gives path -> blob id; bytes are read on first access."""

    def __init__(self, store: SnapshotStore, commit: str) -> None:
        self.store = store
        self.commit = commit
        self.blobs: dict[str, str] = dict(store.files(commit))
        self._cache: dict[str, bytes] = {}

    def __getitem__(self, path: str) -> bytes:
        if path not in self._cache:
            self._cache[path] = self.store.read_blob(self.blobs[path])
        return self._cache[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.blobs)

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read many files in one batched git call instead of one process each."""
        wanted: dict[str, list[str]] = {}  # files with the same bytes share one blob
        for p in paths:
            if p in self.blobs and p not in self._cache:
                wanted.setdefault(self.blobs[p], []).append(p)
        if not wanted:
            return
        data = self.store.read_blobs(list(wanted))
        for sha, same in wanted.items():
            if sha in data:
                self._cache.update(dict.fromkeys(same, data[sha]))

    def __len__(self) -> int:
        return len(self.blobs)

    def __contains__(self, path: object) -> bool:
        return path in self.blobs
