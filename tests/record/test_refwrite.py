"""Records (origins, sync points) are commits on their own refs; a concurrent writer that
moves the ref between our read and our write is merged with, never overwritten."""

from __future__ import annotations

import json

import pytest

from sfenv.core.compare.origins import ORIGINS_FILE, origins_ref, read_origins
from sfenv.errors import StoreError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records.origins import record_origins


class Racing:
    """A store where another writer records `theirs` just before each of our first `races` writes."""

    def __init__(self, store: SnapshotStore, env: str, theirs: dict, races: int) -> None:
        self.store, self.env, self.theirs, self.races = store, env, theirs, races

    def ref_commit(self, ref: str) -> str | None:
        return self.store.ref_commit(ref)

    def read_file(self, commit: str, path: str) -> bytes | None:
        return self.store.read_file(commit, path)

    def write_ref_commit(self, ref, files, message, *, expected_old):
        if self.races:
            self.races -= 1
            doc = read_origins(self.store, self.env) | self.theirs
            self.store.write_ref_commit(ref, {ORIGINS_FILE: json.dumps(doc).encode()}, "theirs\n",
                                        expected_old=self.store.ref_commit(ref))
        return self.store.write_ref_commit(ref, files, message, expected_old=expected_old)


def test_origins_recorded_while_another_promotion_records_keep_both(tmp_path):
    store = SnapshotStore(tmp_path / "repo")
    theirs = {"ApexClass:B": {"by": "Pat", "train": "R2"}}
    record_origins(Racing(store, "qa", theirs, races=1), "qa",
                   {"ApexClass:A": {"by": "Ana", "train": "R1"}}, "release R1")
    assert set(read_origins(store, "qa")) == {"ApexClass:A", "ApexClass:B"}


def test_a_ref_that_keeps_moving_is_a_one_line_store_error(tmp_path):
    store = SnapshotStore(tmp_path / "repo")
    with pytest.raises(StoreError, match=r"could not record the origins of qa: .* keeps moving"):
        record_origins(Racing(store, "qa", {"X:Y": {}}, races=5), "qa", {"ApexClass:A": {}}, "R1")
    assert "ApexClass:A" not in read_origins(store, "qa")
    assert store.ref_commit(origins_ref("qa")) is not None
