"""Blobs written as they arrive (`sfenv.io.store.stream`): a pull holds ids, not bytes, and the
snapshot it writes from those ids is the one the bytes would give."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from sfenv.errors import StoreError
from sfenv.io.store.gitplumbing import blob_sha
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.io.store.stream import BlobId

FILES = {
    "classes/Foo.cls": b"public class Foo {}\n",
    "classes/Foo.cls-meta.xml": b"<ApexClass/>\n",
    "objects/Account.object": b"<CustomObject/>\n",
    "staticresources/blob.resource": bytes(range(256)) * 40,
    "layouts/Same-A.layout": b"<Layout/>\n",
    "layouts/Same-B.layout": b"<Layout/>\n",
}


@pytest.fixture()
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "repo")


def _packs(store: SnapshotStore) -> int:
    return len(list((store.git_dir / "objects" / "pack").glob("*.pack")))


def test_streamed_blobs_are_readable_and_give_the_same_tree_as_bytes(store, tmp_path):
    with store.blob_sink() as sink:
        ids = sink.write(dict(list(FILES.items())[:3]))
        ids.update(sink.write(dict(list(FILES.items())[3:])))
    assert ids == {p: blob_sha(d) for p, d in FILES.items()}
    assert all(isinstance(i, BlobId) for i in ids.values())
    assert sink.written == 5  # the two identical layouts are one blob
    assert store.read_blobs(ids.values()) == {blob_sha(d): d for d in FILES.values()}
    other = SnapshotStore(tmp_path / "other")
    assert store.write_tree(ids) == other.write_tree(FILES)
    # a snapshot mixing ids and bytes: the same commit tree as bytes only
    mixed = {**ids, "classes/Bar.cls": b"public class Bar {}\n"}
    commit = store.write_snapshot("dev", mixed, {"env": "dev"}, expected_old=None)
    assert store.tree_of(commit) == other.write_tree({**FILES, "classes/Bar.cls":
                                                      b"public class Bar {}\n"})
    assert store.read_file(commit, "staticresources/blob.resource") == \
        FILES["staticresources/blob.resource"]


def test_one_pack_for_many_writes_from_many_threads_and_known_blobs_skipped(store):
    old = store.write_snapshot("dev", FILES, {"env": "dev"}, expected_old=None)
    packs = _packs(store)
    many = {f"classes/C{i}.cls": b"public class C%d {}\n" % i for i in range(400)}
    items = list(many.items())
    with store.blob_sink(known=store.files(old).values()) as sink:
        threads = [threading.Thread(target=sink.write, args=(dict(items[k::4]),))
                   for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        again = sink.write(FILES)  # all already in the store: nothing written
    assert sink.written == 400
    assert again == {p: blob_sha(d) for p, d in FILES.items()}
    assert _packs(store) == packs + 1
    assert store.read_blobs([blob_sha(d) for d in many.values()]) == \
        {blob_sha(d): d for d in many.values()}


def test_written_blobs_never_move_a_ref(store):
    """A pull that fails after its chunks were written leaves the ref where it was: the
    blobs stay in the object store, unreferenced."""
    first = store.write_snapshot("dev", FILES, {"env": "dev"}, expected_old=None)
    with store.blob_sink() as sink:
        ids = sink.write({"classes/New.cls": b"public class New {}\n"})
    assert store.head("dev") == first
    sha = ids["classes/New.cls"]
    kind = subprocess.run(["git", "--git-dir", str(store.git_dir), "cat-file", "-t", sha],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert kind == "blob"


def test_a_closed_sink_refuses_writes(store):
    sink = store.blob_sink()
    with sink:
        sink.write({"a.cls": b"x"})
    with pytest.raises(StoreError, match="closed"):
        sink.write({"b.cls": b"y"})
