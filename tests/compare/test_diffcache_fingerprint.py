"""The diff cache's code fingerprint changes whenever the code or type data it covers does,
without reading the files (a cached diff by other code is never used)."""

from __future__ import annotations

import os

from sfenv.core.compare.diffcache import code_fingerprint, tree_fingerprint


def _tree(tmp_path):
    (tmp_path / "compare").mkdir()
    (tmp_path / "metadata").mkdir()
    (tmp_path / "compare" / "diff.py").write_text("x = 1\n")
    (tmp_path / "metadata" / "registry.json").write_text("{}\n")
    return tmp_path


def test_fingerprint_is_stable_for_unchanged_files(tmp_path):
    root = _tree(tmp_path)
    assert tree_fingerprint(root, ("compare", "metadata")) == \
        tree_fingerprint(root, ("compare", "metadata"))


def test_fingerprint_changes_with_an_edit_of_the_same_size(tmp_path):
    root = _tree(tmp_path)
    before = tree_fingerprint(root, ("compare", "metadata"))
    path = root / "compare" / "diff.py"
    info = path.stat()
    path.write_text("x = 2\n")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1))
    assert tree_fingerprint(root, ("compare", "metadata")) != before


def test_fingerprint_changes_with_an_added_or_removed_file(tmp_path):
    root = _tree(tmp_path)
    before = tree_fingerprint(root, ("compare", "metadata"))
    (root / "metadata" / "new.py").write_text("")
    added = tree_fingerprint(root, ("compare", "metadata"))
    assert added != before
    (root / "metadata" / "registry.json").unlink()
    assert tree_fingerprint(root, ("compare", "metadata")) not in (before, added)


def test_the_package_fingerprint_is_computed_once_per_process():
    assert code_fingerprint() == code_fingerprint()
    assert code_fingerprint.cache_info().hits >= 1
