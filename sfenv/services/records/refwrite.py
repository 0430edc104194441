"""Write one record as a new commit on its ref, retrying when another writer moved it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from sfenv.errors import StoreError

ATTEMPTS = 3


class RefWriter(Protocol):
    """What recording needs of a store (`sfenv.io.store.snapshots.SnapshotStore`)."""

    def ref_commit(self, ref: str) -> str | None: ...
    def read_file(self, commit: str, path: str) -> bytes | None: ...
    def write_ref_commit(self, ref: str, files: Mapping[str, bytes], message: str, *,
                         expected_old: str | None) -> str: ...


def write_record(store: RefWriter, ref: str, files: Callable[[], Mapping[str, bytes]],
                 message: str, what: str) -> str:
    """Commit `files()` on `ref` (the previous record its parent, so the history is kept) and
    return the commit. `files` is asked again after a concurrent writer moved the ref, so a
    record merged with the one it replaces merges with the newest. StoreError naming `what`
    when the ref keeps moving or the write fails for another reason."""
    for _ in range(ATTEMPTS):
        old = store.ref_commit(ref)
        try:
            return store.write_ref_commit(ref, files(), message, expected_old=old)
        except StoreError:
            if store.ref_commit(ref) == old:
                raise
    raise StoreError(f"could not record {what}: {ref} keeps moving")
