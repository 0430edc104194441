"""`diff_trees` (two trees in memory, what `sfenv delta` compares) answers exactly what
`diff_commits` answers once the same trees are stored as snapshots in a real git store:
every fixture case of `cases/`, rows, element detail and each side's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfenv.core.compare.diff import diff_commits, diff_trees
from sfenv.core.metadata.registry import default_registry
from sfenv.io.store.snapshots import SnapshotStore

CASES = Path(__file__).parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*") if p.is_file()}


def _rows(changes) -> list[tuple]:
    return [(str(c.component), c.kind, str(c.parent), c.path, [str(e) for e in c.elements],
             c.old_xml, c.new_xml) for c in changes]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SnapshotStore:
    return SnapshotStore(tmp_path_factory.mktemp("trees"))  # one git store for every case


def _stored(store: SnapshotStore, tree_a: dict[str, bytes], tree_b: dict[str, bytes]) -> list[tuple]:
    a = store.write_ref_commit("refs/test/a", tree_a, "a", expected_old=store.ref_commit("refs/test/a"))
    b = store.write_ref_commit("refs/test/b", tree_b, "b", expected_old=store.ref_commit("refs/test/b"))
    return _rows(diff_commits(store, a, b, registry=default_registry()).changes)


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_in_memory_trees_give_the_stored_snapshots_diff(case: Path, store: SnapshotStore):
    tree_a, tree_b = _tree(case / "from"), _tree(case / "to")
    seen = _rows(diff_trees(tree_a, tree_b, registry=default_registry()).changes)
    assert seen == _stored(store, tree_a, tree_b)
    assert seen, "every case changes something"


def test_bundles_renames_and_equal_files(store: SnapshotStore):
    """A bundle (one component of many files) with one file edited and its siblings unchanged,
    a class added beside an unchanged one, a file no type claims removed, equal files left
    out, paths whose byte order differs from their text order (git's order is kept)."""
    same = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    tree_a = {
        "lwc/card/card.js": b"export default 1;\n", "lwc/card/card.html": b"<template/>\n",
        "lwc/card/card.js-meta.xml": same, "classes/Old.cls": b"class Old {}\n",
        "classes/Old.cls-meta.xml": same, "notes/readme.txt": b"hello\n",
        "classes/\u00e9t\u00e9.cls": b"class A {}\n", "classes/\u00e9t\u00e9.cls-meta.xml": same,
    }
    tree_b = dict(tree_a)
    tree_b["lwc/card/card.js"] = b"export default 2;\n"
    tree_b["classes/New.cls"], tree_b["classes/New.cls-meta.xml"] = b"class New {}\n", same
    tree_b["classes/\u00e9t\u00e9.cls"] = b"class B {}\n"
    del tree_b["notes/readme.txt"]
    seen = _rows(diff_trees(tree_a, tree_b, registry=default_registry()).changes)
    assert seen == _stored(store, tree_a, tree_b)
    assert [(r[0], r[1]) for r in seen] == [
        ("ApexClass:New", "added"), ("ApexClass:\u00e9t\u00e9", "modified"),
        ("File:notes/readme.txt", "removed"), ("LightningComponentBundle:card", "modified")]


def test_equal_trees_give_no_rows():
    tree = _tree(CASE_DIRS[0] / "from")
    assert diff_trees(tree, dict(tree), registry=default_registry()).changes == []
