"""An in-memory stand-in for the snapshot store: what comparing reads, without git.

For tests with many small snapshot pairs (fixture cases): writing a git commit per side costs
more than the diff being tested. The git store itself is tested in tests/store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sfenv.io.store.snapshots import TreeChange


class MemoryStore:
    """Snapshots as dicts; blob ids are content hashes, so equal files have equal ids."""

    def __init__(self) -> None:
        self.cache: dict[object, object] = {}
        self._trees: dict[str, dict[str, str]] = {}
        self._blobs: dict[str, bytes] = {}

    def write(self, files: Mapping[str, bytes]) -> str:
        tree: dict[str, str] = {}
        for path, data in files.items():
            sha = hashlib.sha1(data).hexdigest()
            self._blobs[sha] = data
            tree[path] = sha
        commit = hashlib.sha1(repr(sorted(tree.items())).encode()).hexdigest()
        self._trees[commit] = tree
        return commit

    def tree_of(self, commit: str) -> str:
        return commit

    def files(self, commit: str) -> dict[str, str]:
        return self._trees[commit]

    def read_blob(self, sha: str) -> bytes:
        return self._blobs[sha]

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        return {sha: self._blobs[sha] for sha in shas}

    def changed(self, a: str, b: str) -> list[TreeChange]:
        ta, tb = self._trees[a], self._trees[b]
        return [TreeChange(p, ta.get(p), tb.get(p)) for p in sorted(ta.keys() | tb.keys())
                if ta.get(p) != tb.get(p)]

    def files_under(self, commit: str, prefixes: Iterable[str]) -> dict[str, str]:
        starts = tuple(prefixes)
        return {p: s for p, s in self._trees[commit].items() if p.startswith(starts)}
