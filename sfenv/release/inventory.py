"""What one snapshot (or package) holds, answered lazily: only the files asked about are parsed."""

from __future__ import annotations

from collections.abc import Mapping

from sfenv.metadata.components import Piece, component_pieces
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.registry import Registry


class Inventory:
    """What one snapshot holds, answered lazily: only the files asked about are parsed."""

    def __init__(self, tree: Mapping[str, bytes], registry: Registry) -> None:
        self.tree = tree
        self.registry = registry
        self._by_dir: dict[str, list[str]] = {}
        for path in tree:
            self._by_dir.setdefault(path.split("/", 1)[0], []).append(path)
        self._pieces: dict[ComponentId, dict[ComponentId, Piece]] = {}

    def files_of(self, cid: ComponentId) -> list[str]:
        owner = self.registry.parent_id(cid)
        try:
            directory = self.registry.expected_path(owner).split("/", 1)[0]
        except KeyError:
            return []
        return self.registry.file_paths(owner, self._by_dir.get(directory, ()))

    def pieces_of(self, owner: ComponentId) -> dict[ComponentId, Piece]:
        if owner not in self._pieces:
            files = {p: self.tree[p] for p in self.files_of(owner)}
            self._pieces[owner] = component_pieces(files, self.registry) if files else {}
        return self._pieces[owner]

    def has(self, cid: ComponentId) -> bool:
        owner = self.registry.parent_id(cid)
        if not self.files_of(owner):
            return False
        return owner == cid or cid in self.pieces_of(owner)

    def piece(self, cid: ComponentId) -> Piece | None:
        return self.pieces_of(self.registry.parent_id(cid)).get(cid)
