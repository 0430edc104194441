"""The store's long-lived `git cat-file --batch-command`: the answers a fresh git would give,
after other processes move, pack or add refs and objects, from many threads, and after the
reader process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from sfenv.errors import StoreError
from sfenv.io.store.gitplumbing import Git
from sfenv.io.store.snapshots import SnapshotStore

FILES = {"classes/Foo.cls": b"public class Foo {}\n", "objects/A.object": b"<CustomObject/>\n"}


@pytest.fixture()
def store(tmp_path: Path):
    made = SnapshotStore(tmp_path / "repo")
    yield made
    made.close()


def _git(store: SnapshotStore, *args: str, data: bytes | None = None) -> str:
    """Another process (a second sfenv, a developer's git) acting on the same repository."""
    return subprocess.run(["git", *args], cwd=store.repo_dir, input=data, capture_output=True,
                          check=True).stdout.decode().strip()


def _snapshot(store: SnapshotStore, env: str, text: str) -> str:
    return store.write_snapshot(env, {**FILES, "classes/Foo.cls": text.encode()}, {},
                                expected_old=store.head(env))


def test_a_ref_moved_by_another_process_between_two_reads_is_seen(store):
    first = _snapshot(store, "dev", "one")
    assert store.head("dev") == first  # the reader is running and has answered once
    other = _git(store, "commit-tree", store.tree_of(first), "-p", first, "-m", "elsewhere")
    _git(store, "update-ref", "refs/heads/sfenv/dev", other, first)
    assert store.head("dev") == other
    _git(store, "update-ref", "-d", "refs/heads/sfenv/dev")
    assert store.head("dev") is None


def test_refs_packed_and_then_moved_loose_are_seen(store):
    first = _snapshot(store, "dev", "one")
    assert store.head("dev") == first
    _git(store, "pack-refs", "--all")
    assert not (store.git_dir / "refs/heads/sfenv/dev").exists()
    assert store.head("dev") == first  # answered from packed-refs
    second = _snapshot(store, "dev", "two")  # a loose ref again, over the packed one
    assert store.head("dev") == second
    _git(store, "pack-refs", "--all")
    _git(store, "update-ref", "-d", "refs/heads/sfenv/dev")  # gone from packed-refs too
    assert store.head("dev") is None
    tag = _git(store, "commit-tree", store.tree_of(first), "-m", "tagged")
    _git(store, "tag", "release/1", tag)
    _git(store, "pack-refs", "--all")
    assert store.resolve("release/1") == tag


def test_objects_written_by_another_process_after_the_reader_started_are_read(store):
    first = _snapshot(store, "dev", "one")
    assert store.read_blobs([store.files(first)["classes/Foo.cls"]])
    blob = _git(store, "hash-object", "-w", "--stdin", data=b"written elsewhere\n")
    assert store.read_blob(blob) == b"written elsewhere\n"
    # and a whole new pack (fast-import), as another sfenv's pull writes
    other = SnapshotStore(store.repo_dir)
    commit = other.write_snapshot("uat", {"a/b.txt": b"packed\n"}, {}, expected_old=None)
    other.close()
    assert store.head("uat") == commit
    assert store.read_file(commit, "a/b.txt") == b"packed\n"


def test_a_killed_reader_is_started_again_and_answers(store):
    first = _snapshot(store, "dev", "one")
    assert store.head("dev") == first
    reader = store.git.reader
    assert reader._proc is not None
    os.kill(reader._proc.pid, signal.SIGKILL)
    reader._proc.wait()
    assert store.head("dev") == first
    assert store.message(first).startswith("sfenv pull dev")
    assert reader.started == 2


def test_a_name_git_gives_up_on_gets_the_answer_a_fresh_git_gives(store):
    _snapshot(store, "dev", "one")
    for name in ["refs/heads/sfenv/dev@{99}", "nope^{commit}", "HEAD~", "-x", "a b", ""]:
        fresh = Git(store.git_dir).ok(["rev-parse", "--verify", "--quiet", name]) or b""
        assert store.git.resolve(name) == (fresh.decode().strip() or None), name
    assert store.head("dev") is not None  # and the reader still answers afterwards


def test_many_threads_share_one_reader_and_each_gets_its_own_answer(store):
    commits = {env: _snapshot(store, env, env) for env in ("dev", "qa", "uat", "prod")}
    blobs = {env: store.files(c)["classes/Foo.cls"] for env, c in commits.items()}
    errors: list[str] = []

    def ask(env: str) -> None:
        for _ in range(50):
            if store.head(env) != commits[env] or store.read_blob(blobs[env]) != env.encode():
                errors.append(env)

    threads = [threading.Thread(target=ask, args=(env,)) for env in commits]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.git.reader.started == 1


def test_message_is_what_git_log_gives(store):
    commit = store.write_snapshot("dev", FILES, {"env": "dev", "note": "ünïcode"},
                                  expected_old=None)
    assert store.message(commit) == _git_raw(store, "log", "-1", "--format=%B", commit)
    with pytest.raises(StoreError, match="unknown snapshot commit"):
        store.message("0" * 40)


def _git_raw(store: SnapshotStore, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=store.repo_dir, capture_output=True,
                          check=True).stdout.decode()


def test_a_command_starts_one_reader_and_no_config_process(store, tmp_path):
    log = tmp_path / "git.log"
    fake = tmp_path / "bin"
    fake.mkdir()
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True,
                          check=True).stdout.strip()
    (fake / "git").write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real} "$@"\n')
    (fake / "git").chmod(0o755)
    first = _snapshot(store, "dev", "one")
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{fake}{os.pathsep}{old_path}"
    try:
        again = SnapshotStore(store.repo_dir)
        for _ in range(20):
            assert again.head("dev") == first
            assert again.meta(first) == {}
            assert again.read_file(first, "classes/Foo.cls") == b"one"
        again.close()
    finally:
        os.environ["PATH"] = old_path
    spawned = log.read_text().split()
    assert "config" not in spawned and "rev-parse" not in spawned and "log" not in spawned
    assert spawned.count("cat-file") == 1


def test_a_full_write_builds_its_tree_from_an_empty_index_without_read_tree(store, monkeypatch):
    calls: list[str] = []
    real = store.git.run
    monkeypatch.setattr(store.git, "run", lambda args, **kw: calls.append(args[0]) or real(args, **kw))
    empty = store.write_ref_commit("refs/sfenv/empty", {}, "nothing\n", expected_old=None)
    assert store.tree_of(empty) == "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree
    first = _snapshot(store, "dev", "one")
    assert store.files(first) == {p: store.files(first)[p] for p in FILES}
    assert store.read_file(first, "classes/Foo.cls") == b"one"
    assert "read-tree" not in calls
