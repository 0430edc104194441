"""What the org folder holds, as components: the shared view for list, read, retrieve, deploy.

The folder is in Metadata API format. Top-level components come from the registry
(`component_of` a path); child components (fields in an object file...) from `split_file`
of their parent file, computed only when a caller asks for them. Folders of in-folder types
(`reports/Sales-meta.xml`; a source-format name `Sales.reportFolder-meta.xml` is read too) are components of the folder type (`ReportFolder`),
reported with fileName `reports/Sales` as Salesforce does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.core.metadata.components import Piece, split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import MetadataType, Registry


def member_id(registry: Registry, type_name: str, member: str) -> ComponentId:
    """The component a manifest member names. For in-folder types a member without a slash,
    or with a trailing one (`Billing_Reports/`, as the Salesforce CLI writes folders), is the
    folder; `Billing_Reports/Q1` is the report."""
    mtype = registry.find(type_name)
    if mtype is not None and mtype.in_folder:
        folder_type = mtype.folder_type or f"{type_name}Folder"
        if "/" not in member:
            return ComponentId(folder_type, member)
        if member.endswith("/") and member.rstrip("/"):
            return ComponentId(folder_type, member.rstrip("/"))
    return ComponentId(type_name, member)


def mdapi_file_name(path: str, registry: Registry) -> str:
    """A folder's file as the Metadata API names it: `reports/Sales-meta.xml`, not the source
    format's `reports/Sales.reportFolder-meta.xml` (which a client converting to source format
    would turn into `Sales.reportFolder.reportFolder-meta.xml`). Other paths are unchanged."""
    return registry.mdapi_folder_path(path) or path


def classify(path: str, registry: Registry) -> ComponentId | None:
    """The top-level component owning `path` (folders are components of their folder type)."""
    return registry.component_of(path)


def read_tree(root: Path) -> list[str]:
    """Relative posix paths of every file under `root`, hidden entries (`.localorg`) skipped."""
    return [path for path, _ in stat_tree(root)]


def stat_tree(root: Path) -> list[tuple[str, tuple[int, int]]]:
    """(relative posix path, (size, mtime_ns)) of every visible file, in sorted order."""
    found: list[tuple[str, tuple[int, int]]] = []

    def walk(folder: str, rel: str) -> None:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.startswith("."):
                    continue
                path = entry.name if not rel else f"{rel}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, path)
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    found.append((path, (st.st_size, st.st_mtime_ns)))

    if root.is_dir():
        walk(str(root), "")
    return found


class InventoryCache:
    """One org folder's inventory, rebuilt only when the folder changed.

    Listing and retrieving a 60,000-component org asks for the inventory hundreds of times,
    so validating it must not stat every file (that alone was 74% of the server's time at
    60k). Its key: the org's content generation (bumped by deploys and hand changes), the
    state file's mtime (another process's `localorg change`), and the mtimes of every known
    directory (files added or removed behind the server's back). A file rewritten in place by
    an outside tool, with nothing else touched, is seen at the next deploy or hand change.
    Split pieces of files whose size and mtime did not change are carried over on rebuilds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._dirs: list[str] = []
        self._stats: dict[str, tuple[int, int]] = {}
        self._inventory: Inventory | None = None

    @staticmethod
    def _dir_key(root: Path, dirs: list[str]) -> tuple:
        # plain strings and one stat per directory: a full pull asks for this once per
        # listMetadata call (hundreds of them when every described type is listed)
        base = os.fspath(root)
        out = []
        stat = os.stat
        for rel in dirs:
            try:
                out.append(stat(f"{base}/{rel}" if rel else base).st_mtime_ns)
            except OSError:
                out.append(-1)
        return tuple(out)

    def get(self, root: Path, registry: Registry, *, generation: int = 0,
            state_mtime: int = 0) -> Inventory:
        with self._lock:
            if self._inventory is not None:
                key = (generation, state_mtime, self._dir_key(root, self._dirs))
                if key == self._key:
                    return self._inventory
            signature = stat_tree(root)
            stats = dict(signature)
            inventory = Inventory(registry=registry, root=root)
            inventory._index([path for path, _ in signature])
            if self._inventory is not None:
                inventory._pieces = {p: pieces for p, pieces in self._inventory._pieces.items()
                                     if p in stats and self._stats.get(p) == stats[p]}
            dirs = {""} | {path.rsplit("/", 1)[0] for path in stats if "/" in path}
            for d in list(dirs):  # parents of nested folders too (reports/A/B)
                while "/" in d:
                    d = d.rsplit("/", 1)[0]
                    dirs.add(d)
            self._dirs = sorted(dirs)
            self._stats, self._inventory = stats, inventory
            self._key = (generation, state_mtime, self._dir_key(root, self._dirs))
            return inventory


@dataclass
class Inventory:
    """Components of a file set (the org folder, or a deploy package) and their files."""

    registry: Registry
    files: Mapping[str, bytes] | None = None   # in-memory set (packages); None: read from root
    root: Path | None = None
    by_component: dict[ComponentId, list[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)   # files no type claims
    _pieces: dict[str, list[Piece]] = field(default_factory=dict)
    _types: dict[str, list[ComponentId]] | None = field(default=None, repr=False)

    @classmethod
    def of_folder(cls, root: Path, registry: Registry) -> Inventory:
        inv = cls(registry=registry, root=root)
        inv._index(read_tree(root))
        return inv

    @classmethod
    def of_files(cls, files: Mapping[str, bytes], registry: Registry) -> Inventory:
        inv = cls(registry=registry, files=files)
        inv._index(sorted(files))
        return inv

    def _index(self, paths: list[str]) -> None:
        self._types = None
        for path in paths:
            cid = classify(path, self.registry)
            if cid is None:
                self.unknown.append(path)
            else:
                self.by_component.setdefault(cid, []).append(path)

    def read(self, path: str) -> bytes:
        if self.files is not None:
            return self.files[path]
        assert self.root is not None
        return (self.root / path).read_bytes()

    def paths(self) -> list[str]:
        return sorted(p for ps in self.by_component.values() for p in ps)

    def mtype(self, cid: ComponentId) -> MetadataType | None:
        return self.registry.find(cid.type)

    def of_type(self, type_name: str) -> list[ComponentId]:
        if self._types is None:  # one pass for all types: listing asks for hundreds of them
            types: dict[str, list[ComponentId]] = {}
            for cid in self.by_component:
                types.setdefault(cid.type, []).append(cid)
            self._types = {t: sorted(ids) for t, ids in types.items()}
        return list(self._types.get(type_name, ()))

    def main_file(self, cid: ComponentId) -> str:
        """The path Salesforce reports as fileName: the XML/content file, or the bundle folder."""
        paths = self.by_component.get(cid, [])
        mtype = self.mtype(cid)
        if mtype is not None and (mtype.handler.folder_per_component or mtype.handler.is_folder):
            return f"{mtype.directory}/{cid.full_name}"
        non_meta = [p for p in paths if not p.endswith("-meta.xml")]
        return (non_meta or paths or [self.registry.expected_path(cid)])[0]

    def pieces(self, parent: ComponentId) -> list[Piece]:
        """The parent's split pieces (first: the parent itself, then its children)."""
        path = self.main_file(parent)
        if path not in self._pieces:
            try:
                self._pieces[path] = split_file(path, self.read(path), self.registry)
            except Exception:  # a malformed file has no readable children
                self._pieces[path] = []
        return self._pieces[path]

    def children_of_type(self, child_type: str) -> list[tuple[ComponentId, ComponentId]]:
        """(child, parent) for every child component of `child_type` in the set."""
        found = self.registry.child(child_type)
        if found is None:
            return []
        parent_type = found[0]
        out: list[tuple[ComponentId, ComponentId]] = []
        for parent in self.of_type(parent_type.name):
            for piece in self.pieces(parent):
                if piece.parent is not None and piece.id.type == child_type:
                    out.append((piece.id, parent))
        return sorted(out)

    def find_child(self, cid: ComponentId) -> ComponentId | None:
        """The parent component holding child `cid`, or None when absent."""
        found = self.registry.child(cid.type)
        if found is None:
            return None
        parent_type = found[0]
        for parent in self._candidate_parents(parent_type, cid.full_name):
            if any(p.id == cid for p in self.pieces(parent)):
                return parent
        return None

    def _candidate_parents(self, parent_type: MetadataType, child_name: str) -> list[ComponentId]:
        """Parents whose name prefixes the child's (`Account` for `Account.Region__c`), else all
        (CustomLabel children of `CustomLabels`, which are not prefixed)."""
        parents = self.of_type(parent_type.name)
        prefixed = [p for p in parents if child_name.startswith(p.full_name + ".")]
        return prefixed or parents
