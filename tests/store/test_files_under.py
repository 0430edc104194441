"""`SnapshotStore.files_under`: the files whose path starts with given prefixes, read without
listing the whole tree, the same answer as filtering `files`."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfenv.io.store.gitplumbing import blob_sha
from sfenv.io.store.snapshots import SnapshotStore

FILES = {
    "objects/Account.object": b"<CustomObject/>\n",
    "classes/Foo.cls": b"public class Foo {}\n",
    "classes/Foo.cls-meta.xml": b"<ApexClass/>\n",
    "classes/FooBar.cls": b"public class FooBar {}\n",
    "classes/Bar.cls": b"public class Bar {}\n",
    "lwc/cmp/cmp.js": b"export default class {}\n",
    "lwc/cmp/cmp.js-meta.xml": b"<LightningComponentBundle/>\n",
    "lwc/cmp/__tests__/cmp.test.js": b"test()\n",
    "lwc/cmpOther/cmpOther.js": b"x\n",
    "experiences/site1.site-meta.xml": b"<ExperienceBundle/>\n",
    "experiences/site1/config/a.json": b"{}\n",
    "documents/Shared/logo.png": b"\x89PNG",
    "package.xml": b"<Package/>\n",
    ".sfenv/components.json": b"{}\n",
}

PREFIXES = [
    ["classes/Foo"], ["classes/Foo.cls"], ["lwc/cmp"], ["lwc/cmp/"], ["experiences/site1"],
    ["objects/"], ["documents/Shared/logo"], [".sfenv/components.json"], ["package.xml"],
    ["classes/Nope", "missing/folder/x"], [""], ["classes/Foo", "lwc/cmp", ".sfenv/components.json"],
]


@pytest.fixture(scope="module")
def commit_of(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("store") / "repo"
    commit = SnapshotStore(root).write_snapshot("dev", FILES, {"env": "dev"}, expected_old=None)
    return root, commit


@pytest.mark.parametrize("prefixes", PREFIXES, ids=lambda p: "+".join(p) or "everything")
def test_files_under_is_the_files_starting_with_the_prefixes(commit_of, prefixes):
    root, commit = commit_of
    expected = {p: blob_sha(d) for p, d in FILES.items() if p.startswith(tuple(prefixes))}
    fresh = SnapshotStore(root)  # nothing listed yet: git lists only the folders asked for
    assert fresh.files_under(commit, prefixes) == expected
    listed = SnapshotStore(root)
    listed.files(commit)  # the whole tree is cached: answered from it
    assert listed.files_under(commit, prefixes) == expected


def test_files_under_lists_only_the_folders_it_needs(commit_of, monkeypatch):
    root, commit = commit_of
    store = SnapshotStore(root)
    calls: list[list[str]] = []
    real = store.git.run

    def run(args, **kw):
        calls.append(list(args))
        return real(args, **kw)

    monkeypatch.setattr(store.git, "run", run)
    read: list[str] = []
    real_read = store.git.read_object

    def read_object(name):
        read.append(name)
        return real_read(name)

    monkeypatch.setattr(store.git, "read_object", read_object)
    assert set(store.files_under(commit, ["lwc/cmp"])) == {  # a string prefix
        "lwc/cmp/cmp.js", "lwc/cmp/cmp.js-meta.xml", "lwc/cmp/__tests__/cmp.test.js",
        "lwc/cmpOther/cmpOther.js"}
    # the folder holding the prefix is read as a tree object (the top, then lwc/), no process
    tree = store.tree_of(commit)
    assert read == [tree, store.git.resolve(f"{tree}:lwc")]
    listings = [c for c in calls if c[0] == "ls-tree"]
    assert [c[c.index("--") + 1:] for c in listings] == [["lwc/cmp", "lwc/cmpOther"]]


def test_folders_read_as_tree_objects_list_what_ls_tree_lists(tmp_path):
    """Names with spaces, non-ASCII letters, dots and dashes that sort around `/`."""
    files = {name: name.encode() for name in (
        "a b/c d.txt", "a b/é.cls", "a-b/x", "a/b/c", "a/b-c", "a/b.c", "a.b", "ü/ß/z",
        "classes/Foo.cls", "classes/Foo.cls-meta.xml", "classes/Foo/inner.txt")}
    store = SnapshotStore(tmp_path / "repo")
    commit = store.write_snapshot("dev", files, {}, expected_old=None)
    tree = store.tree_of(commit)
    folders = ["", "a b", "a", "a/b", "ü/ß", "classes", "classes/Foo", "missing", "a.b"]
    for folder in folders:
        expected = store.git.list_records(tree, [folder + "/" if folder else "."])
        assert store.git.folder_records(tree, [folder]) == expected, folder
    for prefix in ("a", "a/b", "ü", "classes/Foo", "a b/é", "nope/x"):
        assert store.files_under(commit, [prefix]) == {
            p: blob_sha(d) for p, d in files.items() if p.startswith(prefix)}, prefix
