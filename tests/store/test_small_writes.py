"""Small writes (a release log entry, a sync point, a few pulled files) edit the touched
folders' tree objects and store them as loose objects; the trees must be exactly the ones
git's index builds, and the commit must cost two git processes, not seven."""

from __future__ import annotations

import random
import subprocess

import pytest

from sfenv.io.store import snapshots
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.io.store.stream import BlobId

FOLDERS = ["a", "b", "a.b", "a-b", "classes", "é"]  # names git sorts differently as folders
FILES = ["a0", "Z", "a.b0", "Foo.cls", "Foo.cls-meta.xml", "a-b.x"]


def _random_path(rng: random.Random) -> str:
    """Mostly files under folders; now and then a folder's path (a removal of a folder, or a
    file where a folder is: what the index decides)."""
    folders = [rng.choice(FOLDERS) for _ in range(rng.randint(0, 3))]
    if folders and rng.random() < 0.08:
        return "/".join(folders)
    return "/".join([*folders, rng.choice(FILES)])


def _fsck(store: SnapshotStore) -> None:
    subprocess.run(["git", "--git-dir", str(store.git_dir), "fsck", "--strict", "--no-dangling"],
                   check=True, capture_output=True)


@pytest.mark.parametrize("seed", range(6))
def test_small_writes_give_the_trees_git_s_index_gives(tmp_path, monkeypatch, seed):
    """The same random writes (new, changed and removed files, folders emptied, removals of
    paths that are not there or are folders, files where folders are) on two stores, one
    through the small-write path and one through the temporary index: same tree each time."""
    rng = random.Random(seed)
    small, large = SnapshotStore(tmp_path / "small"), SnapshotStore(tmp_path / "large")
    heads: dict[str, str | None] = {"small": None, "large": None}
    for step in range(25):
        files: dict[str, bytes | BlobId] = {}
        for _ in range(rng.randint(0, 6)):
            files[_random_path(rng)] = rng.choice([b"", b"x", b"y\n", f"{step}".encode() * 40])
        removed = [_random_path(rng) for _ in range(rng.randint(0, 4))]
        if heads["small"] and rng.random() < 0.3:  # a blob already stored, given by id
            path, sha = rng.choice(sorted(small.files(heads["small"]).items()) or [("a", "")])
            if sha:
                files[path + "x"] = BlobId(sha)
        trees = {}
        for name, store in (("small", small), ("large", large)):
            with monkeypatch.context() as mp:
                if name == "large":
                    mp.setattr(snapshots, "SMALL_WRITE", -1)
                head = heads[name]
                try:
                    heads[name] = store.write_ref_commit(
                        "refs/sfenv/t", files, f"step {step}\n", expected_old=head,
                        base_commit=head, removed=removed)
                    trees[name] = store.tree_of(heads[name])  # type: ignore[arg-type]
                except snapshots.StoreError as err:
                    trees[name] = f"refused: {str(err).split(':')[0]}"
        assert trees["small"] == trees["large"], (seed, step, files, removed)
    _fsck(small)


def test_a_small_write_runs_two_git_processes_and_no_index(tmp_path, monkeypatch):
    store = SnapshotStore(tmp_path / "repo")
    files = {f"releases/R{i}/log.json": b"[]\n" for i in range(40)}
    head = store.write_ref_commit("refs/sfenv/releases", files, "seed\n", expected_old=None)
    spawned: list[str] = []
    real_run, real_stream = store.git.run, store.git.stream
    monkeypatch.setattr(store.git, "run",
                        lambda args, **kw: spawned.append(args[0]) or real_run(args, **kw))
    monkeypatch.setattr(store.git, "stream",
                        lambda args, *a, **kw: spawned.append(args[0]) or real_stream(args, *a, **kw))
    new = store.write_ref_commit("refs/sfenv/releases", {"releases/R7/log.json": b"[1]\n"},
                                 "entry\n", expected_old=head, base_commit=head)
    assert spawned == ["commit-tree", "update-ref"]
    assert store.read_file(new, "releases/R7/log.json") == b"[1]\n"
    assert store.read_file(new, "releases/R8/log.json") == b"[]\n"
    assert not list(store.git_dir.glob("sfenv-index-*"))
    _fsck(store)


def test_a_reader_started_before_a_small_write_reads_its_objects(tmp_path):
    store = SnapshotStore(tmp_path / "repo")
    first = store.write_ref_commit("refs/sfenv/t", {"a/b": b"one"}, "one\n", expected_old=None)
    assert store.read_file(first, "a/b") == b"one"  # the reader is running now
    other = SnapshotStore(tmp_path / "repo")
    second = other.write_ref_commit("refs/sfenv/t", {"a/c": b"two"}, "two\n",
                                    expected_old=first, base_commit=first)
    assert store.ref_commit("refs/sfenv/t") == second
    assert store.read_file(second, "a/c") == b"two" and store.read_file(second, "a/b") == b"one"


def test_objects_already_stored_loose_are_not_written_again(tmp_path, monkeypatch):
    """A small write that repeats a file and a folder the store holds stores only what is new:
    no temporary file is made for an object that is already there, and the objects that are
    there stay the files they were."""
    import tempfile

    store = SnapshotStore(tmp_path / "repo")
    first = store.write_ref_commit("refs/sfenv/t", {"a/x": b"same", "b/y": b"one"}, "1\n",
                                   expected_old=None)
    objects = store.git_dir / "objects"
    before = {p: p.stat().st_ino for p in objects.glob("??/*")}
    made: list[str] = []
    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp",
                        lambda *a, **kw: made.append(kw.get("prefix", "")) or real(*a, **kw))
    # a/x again as it was (its blob and folder a are stored), b/y changed (a new blob, a new
    # folder b, a new top folder): three objects new, two already there
    second = store.write_ref_commit("refs/sfenv/t", {"a/x": b"same", "b/y": b"two"}, "2\n",
                                    expected_old=first, base_commit=first)
    assert len(made) == 3, made
    assert {p: p.stat().st_ino for p in before} == before
    assert store.read_file(second, "a/x") == b"same" and store.read_file(second, "b/y") == b"two"
    assert store.files(second) == {"a/x": store.files(first)["a/x"],
                                   "b/y": store.files(second)["b/y"]}
    _fsck(store)
