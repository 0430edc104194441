"""The snapshot store: atomic, lock-protected, incremental snapshots as git commits."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfenv.errors import StoreError
from sfenv.io.store import snapshots
from sfenv.io.store.gitplumbing import blob_sha
from sfenv.io.store.snapshots import SnapshotStore, TreeChange

FILES = {
    "objects/Account.object": b"<CustomObject/>\n",
    "classes/Foo.cls": b"public class Foo {}\n",
    "classes/Foo.cls-meta.xml": b"<ApexClass/>\n",
    "lwc/cmp/cmp.js": b"export default class {}\n",
    ".sfenv/components.json": b"{}\n",
}


@pytest.fixture()
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "repo")


def _git(store: SnapshotStore, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=store.repo_dir, capture_output=True, text=True,
                          check=True).stdout


def test_snapshot_is_a_commit_on_the_env_ref_with_meta_in_the_message(store):
    commit = store.write_snapshot("dev", FILES, {"env": "dev", "counts_by_type": {"A": 3}},
                                  expected_old=None)
    assert store.head("dev") == commit
    assert store.files(commit) == {p: blob_sha(d) for p, d in FILES.items()}
    assert store.read_blob(store.files(commit)["classes/Foo.cls"]) == FILES["classes/Foo.cls"]
    assert store.message(commit).startswith("sfenv pull dev: 3 components\n\n")
    assert store.meta(commit)["env"] == "dev"
    assert "sfenv <sfenv@localhost>" in _git(store, "log", "-1", "--format=%an <%ae>", commit)


def test_writing_a_snapshot_leaves_work_tree_and_index_alone(store):
    (store.repo_dir / "sfenv.yml").write_text("project: x\n")
    store.write_snapshot("dev", FILES, {}, expected_old=None)
    assert not (store.repo_dir / "objects").exists()
    assert not (store.git_dir / "index").exists()
    assert _git(store, "status", "--porcelain") == "?? sfenv.yml\n"


def test_expected_old_mismatch_is_refused_and_ref_stays(store):
    first = store.write_snapshot("dev", FILES, {}, expected_old=None)
    with pytest.raises(StoreError, match="moved"):
        store.write_snapshot("dev", {"a.txt": b"x"}, {}, expected_old=None)
    assert store.head("dev") == first
    second = store.write_snapshot("dev", {"a.txt": b"x"}, {}, expected_old=first)
    with pytest.raises(StoreError, match="moved"):
        store.write_snapshot("dev", {"a.txt": b"y"}, {}, expected_old=first)
    assert store.head("dev") == second


def test_failed_write_leaves_ref_unmoved(store):
    first = store.write_snapshot("dev", FILES, {}, expected_old=None)
    for bad in ("../escape", "/abs", ".git/config", "a//b"):
        with pytest.raises(StoreError, match="unsafe path"):
            store.write_snapshot("dev", {**FILES, bad: b"x"}, {}, expected_old=first)
        assert store.head("dev") == first
    with pytest.raises(StoreError, match="unknown snapshot commit"):
        store.write_snapshot("dev", {"a": b"x"}, {}, expected_old=first, base_commit="f" * 40)
    assert store.head("dev") == first


@pytest.mark.parametrize("size", ["small", "large"])
def test_write_failing_midway_leaves_ref_unmoved(store, monkeypatch, size):
    first = store.write_snapshot("dev", FILES, {}, expected_old=None)

    def broken(blobs):
        next(iter(blobs))
        raise StoreError("disk full")

    def broken_loose(kind, data):
        raise StoreError("disk full")

    # a small write stores its objects itself, a large one through git fast-import
    monkeypatch.setattr(store.git, "write_blobs", broken)
    monkeypatch.setattr(store, "_write_loose", broken_loose)
    if size == "large":
        monkeypatch.setattr(snapshots, "SMALL_WRITE", 0)
    with pytest.raises(StoreError, match="disk full"):
        store.write_snapshot("dev", {"new.txt": b"new"}, {}, expected_old=first)
    assert store.head("dev") == first


def test_repo_identity_is_used_when_configured(store):
    _git(store, "config", "user.name", "Release Bot")
    _git(store, "config", "user.email", "bot@acme.example")
    commit = SnapshotStore(store.repo_dir).write_snapshot("dev", FILES, {}, expected_old=None)
    assert _git(store, "log", "-1", "--format=%an <%ae>", commit) == \
        "Release Bot <bot@acme.example>\n"


def test_incremental_write_gives_same_tree_as_full_write(store):
    first = store.write_snapshot("dev", FILES, {}, expected_old=None)
    new_files = dict(FILES)
    new_files["classes/Foo.cls"] = b"public class Foo { }\n"
    new_files["classes/Bar.cls"] = b"public class Bar {}\n"
    del new_files["lwc/cmp/cmp.js"]
    inc = store.write_snapshot(
        "dev", {"classes/Foo.cls": new_files["classes/Foo.cls"],
                "classes/Bar.cls": new_files["classes/Bar.cls"]},
        {}, expected_old=first, base_commit=first, removed=["lwc/cmp/cmp.js"])
    full = store.write_snapshot("qa", new_files, {}, expected_old=None)
    assert store.tree_of(inc) == store.tree_of(full)
    assert store.log("dev", 5)[1].commit == first  # history is the chain of snapshots
    assert sorted(store.changed(first, inc), key=lambda c: c.path) == [
        TreeChange("classes/Bar.cls", None, blob_sha(new_files["classes/Bar.cls"])),
        TreeChange("classes/Foo.cls", blob_sha(FILES["classes/Foo.cls"]),
                   blob_sha(new_files["classes/Foo.cls"])),
        TreeChange("lwc/cmp/cmp.js", blob_sha(FILES["lwc/cmp/cmp.js"]), None),
    ]


def test_read_blobs_reads_many_in_one_batch_and_reports_missing(store):
    commit = store.write_snapshot("dev", FILES, {}, expected_old=None)
    shas = list(store.files(commit).values())
    blobs = store.read_blobs(shas)
    assert sorted(blobs.values()) == sorted(FILES.values())
    with pytest.raises(StoreError, match="missing"):
        store.read_blobs(["0123456789" * 4])


def test_resolve_env_tag_sha_ref_and_dates(store):
    day = datetime(2026, 10, 30, 12, tzinfo=UTC)
    c1 = store.write_snapshot("prod", {"a": b"1"}, {}, expected_old=None, when=day)
    c2 = store.write_snapshot("prod", {"a": b"2"}, {}, expected_old=c1,
                              when=day + timedelta(days=2))
    c3 = store.write_snapshot("prod", {"a": b"3"}, {}, expected_old=c2,
                              when=datetime.now(UTC))
    store.tag("backup/prod/20261101T000000Z", c2, "backup before R1")
    assert store.resolve("prod") == c3
    assert store.resolve("refs/heads/sfenv/prod") == c3
    assert store.resolve("prod@{2026-10-31}") == c1
    assert store.resolve("prod@{2026-11-01}") == c2
    assert store.resolve("prod@{1}") == c2
    assert store.resolve("prod@{yesterday}") == c2
    assert store.resolve("backup/prod/20261101T000000Z") == c2
    assert store.resolve(c1[:10]) == c1
    assert store.tags("backup/") == {"backup/prod/20261101T000000Z": c2}
    with pytest.raises(StoreError, match="unknown snapshot 'nope'.*prod"):
        store.resolve("nope")
    with pytest.raises(StoreError, match="no snapshot as old"):
        store.resolve("prod@{2020-01-01}")
    with pytest.raises(StoreError, match="already exists"):
        store.tag("backup/prod/20261101T000000Z", c3, "again")


def test_lock_refuses_second_holder_of_same_env_but_not_other_envs(store):
    held = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def hold() -> None:
        with store.lock("dev"):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)

    def try_dev() -> None:
        try:
            with store.lock("dev"):
                results["dev"] = "got it"
        except StoreError as err:
            results["dev"] = err

    def try_qa() -> None:
        with store.lock("qa"):
            results["qa"] = "got it"

    threads = [threading.Thread(target=try_dev), threading.Thread(target=try_qa)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    release.set()
    holder.join(5)
    assert isinstance(results["dev"], StoreError) and "locked by pid" in str(results["dev"])
    assert results["qa"] == "got it"
    with store.lock("dev"):  # released after the holder finished
        pass


def test_stale_lock_of_a_dead_process_is_taken_over(store):
    import socket
    lock_dir = store.git_dir / "sfenv-locks"
    lock_dir.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (lock_dir / "dev.lock").write_text(json.dumps({"pid": dead.pid,
                                                   "host": socket.gethostname()}))
    with store.lock("dev"):
        assert json.loads((lock_dir / "dev.lock").read_text())["pid"] != dead.pid


KILLED_AT = """
import os, signal, sys
from sfenv.io.store.snapshots import SnapshotStore
store = SnapshotStore(sys.argv[1])
real_link = os.link
def link(src, dst):
    if sys.argv[2] == "after":
        real_link(src, dst)
    os.kill(os.getpid(), signal.SIGKILL)
os.link = link
with store.lock("dev", command="sfenv pull dev"):
    pass
"""


@pytest.mark.parametrize("moment", ["before", "after"])
def test_sfenv_killed_while_taking_the_lock_never_blocks_the_next_run(store, moment):
    """A pull killed while it takes its lock leaves either no lock or one naming its (dead)
    pid, never an empty file: the next run gets the lock at once instead of being refused
    for a minute as "locked by pid ?"."""
    import sys
    killed = subprocess.run([sys.executable, "-c", KILLED_AT, str(store.repo_dir), moment],
                            capture_output=True, check=False)
    assert killed.returncode == -9, killed.stderr.decode()
    lock = store.git_dir / "sfenv-locks" / "dev.lock"
    if moment == "after":
        assert json.loads(lock.read_text())["command"] == "sfenv pull dev"
    else:
        assert not lock.exists()
    with store.lock("dev"):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_an_empty_lock_file_is_refused_in_one_line_that_says_what_it_is(store):
    lock_dir = store.git_dir / "sfenv-locks"
    lock_dir.mkdir()
    (lock_dir / "dev.lock").write_text("")
    with pytest.raises(StoreError) as err, store.lock("dev"):
        pass
    message = str(err.value)
    assert "\n" not in message and "lock file is empty" in message and "dev.lock" in message
    assert "pid ?" not in message


def test_write_ref_commit_for_other_state_and_reopen(store, tmp_path):
    ref = "refs/sfenv/sync/dev/qa"
    c = store.write_ref_commit(ref, {"sync.json": b"{}"}, "sync dev qa", expected_old=None)
    again = SnapshotStore(tmp_path / "repo")
    assert again.ref_commit(ref) == c
    assert again.read_file(c, "sync.json") == b"{}"
    assert again.envs() == []
