"""Component-level diff of two snapshots: git's tree diff first, then only differing blobs.

Equal files have equal blob ids (snapshots are canonical), so only the files git reports as
different are read (one `cat-file --batch`) and split into components; content and bundle
components (classes, lwc, aura...) group their files into one component. Results are cached
per store object by (tree a, tree b, neutralizer) and are immutable data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sfenv.core.compare import diffcache
from sfenv.core.compare.diffcache import entry_key
from sfenv.core.compare.elements import element_changes
from sfenv.core.compare.inventory import (
    AUDIT_PATH,
    INDEX_PATH,
    ComponentIndex,
    Part,
    Splitter,
    default_splitter,
    index_entries,
    load_json_blob,
    parts_of_file,
    sort_keys_for,
)
from sfenv.core.compare.model import (
    Attribution,
    Change,
    ChangeKind,
    Diff,
    ElementChange,
    TreeChange,
)
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.compare.prune import prune_common
from sfenv.core.metadata.handlers import Handler
from sfenv.core.metadata.ids import ID_ORDER, ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.errors import MetadataError

_SPLIT = default_splitter()  # pruning common entries is exact for this splitter
INTERNAL = ".sfenv/"
UNKNOWN = Handler()  # a file no registry type claims: compared byte for byte, as one file


class SnapshotReader(Protocol):
    """What comparing needs of a snapshot store (`sfenv.io.store.snapshots.SnapshotStore`)."""

    cache: dict[object, object]

    def tree_of(self, commit: str) -> str: ...
    def files(self, commit: str) -> dict[str, str]: ...
    def files_under(self, commit: str, prefixes: Iterable[str]) -> dict[str, str]: ...
    def read_blob(self, sha: str) -> bytes: ...
    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]: ...
    def changed(self, a: str, b: str) -> list[TreeChange]: ...


def diff_commits(store: SnapshotReader, a_commit: str, b_commit: str, *, registry: Registry,
                 neutralize: Neutralizer | None = None, a_name: str = "", b_name: str = "",
                 split: Splitter | None = None) -> Diff:
    """The component changes going from snapshot `a_commit` (old) to `b_commit` (new)."""
    tree_a, tree_b = store.tree_of(a_commit), store.tree_of(b_commit)
    key = ("diff", tree_a, tree_b, neutralize.fingerprint() if neutralize else "",
           id(registry), id(split))
    hit = store.cache.get(key)
    if isinstance(hit, Diff):
        return Diff(a_name, b_name, a_commit, b_commit, list(hit.changes), 0, hit.files_changed)
    # on disk only for type knowledge with a tag (the shipped table "", a project's overlays
    # digested) and the default splitter: any other registry or splitter may differ
    disk = (entry_key(tree_a, tree_b, str(key[3]) + registry.cache_tag)
            if registry.cache_tag is not None and split in (None, _SPLIT) else None)
    found = diffcache.load(store, disk) if disk else None
    if found is not None:
        store.cache[key] = found
        return Diff(a_name, b_name, a_commit, b_commit, list(found.changes), 0,
                    found.files_changed)
    result = _compute(store, a_commit, b_commit, registry, neutralize, split or default_splitter())
    result.a, result.b = a_name, b_name
    store.cache[key] = result
    if disk:
        diffcache.save(store, disk, result)
    return result


def diff_trees(tree_a: Mapping[str, bytes], tree_b: Mapping[str, bytes], *,
               registry: Registry, split: Splitter | None = None) -> Diff:
    """The component changes going from tree `tree_a` (old) to `tree_b` (new), both in memory
    (path -> canonical bytes): what `diff_commits` answers for the two trees once stored as
    snapshots, without writing them into a store first (hashing every blob into git, then
    reading the differing ones back) nor caching the result on disk. `sfenv delta` has both
    trees in hand and compares them once."""
    trees = _Trees(tree_a, tree_b)
    return _compute(trees, "a", "b", registry, None, split or default_splitter())


class _Trees:
    """Two in-memory trees read as a `SnapshotReader`: commits (and trees) "a" and "b"; a
    file's blob id is its side and path, its bytes read back from the mapping."""

    def __init__(self, tree_a: Mapping[str, bytes], tree_b: Mapping[str, bytes]) -> None:
        self.cache: dict[object, object] = {}
        self._trees = {"a": tree_a, "b": tree_b}

    def tree_of(self, commit: str) -> str:
        return commit

    def files(self, commit: str) -> dict[str, str]:
        return {path: f"{commit}/{path}" for path in self._trees[commit]}

    def files_under(self, commit: str, prefixes: Iterable[str]) -> dict[str, str]:
        wanted = tuple(prefixes)
        return {path: f"{commit}/{path}" for path in self._trees[commit]
                if path.startswith(wanted)} if wanted else {}

    def read_blob(self, sha: str) -> bytes:
        side, _, path = sha.partition("/")
        return self._trees[side][path]

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        return {sha: self.read_blob(sha) for sha in shas}

    def changed(self, a: str, b: str) -> list[TreeChange]:
        """The paths whose bytes differ, in git's order (byte order of the UTF-8 paths, which
        `diff-tree -r` gives): rows of equal component sort keys keep the store's order."""
        old, new = self._trees[a], self._trees[b]
        paths = sorted(old.keys() | new.keys(), key=lambda p: p.encode("utf-8", "surrogateescape"))
        return [TreeChange(p, f"{a}/{p}" if p in old else None, f"{b}/{p}" if p in new else None)
                for p in paths if old.get(p) != new.get(p)]


def _compute(store: SnapshotReader, a_commit: str, b_commit: str, registry: Registry,
             neutralize: Neutralizer | None, split: Splitter) -> Diff:
    tree_changes = [c for c in store.changed(a_commit, b_commit)
                    if not c.path.startswith(INTERNAL)]
    owners: dict[ComponentId, set[str]] = defaultdict(set)
    for tree_change in tree_changes:
        owners[_owner(registry, tree_change.path)].add(tree_change.path)

    # Files to read: the differing ones, plus the unchanged siblings of grouped components
    # (a bundle's component bytes are all its files).
    files_a: dict[str, str] = {c.path: c.old_blob for c in tree_changes if c.old_blob}
    files_b: dict[str, str] = {c.path: c.new_blob for c in tree_changes if c.new_blob}
    grouped = {o for o in owners if _handler(registry, o).files_make_one_component}
    # a grouped component's files all start with `<directory>/<full name>` (its content
    # file, its -meta.xml, or its bundle folder): git lists only those, and the index
    prefixes = {f"{registry.get(o.type).directory}/{o.full_name}" for o in grouped}
    index: list[str | None] = [None, None]
    if tree_changes:
        prefixes.add(INDEX_PATH)
        for side, (side_files, commit) in enumerate(((files_a, a_commit), (files_b, b_commit))):
            listed = store.files_under(commit, prefixes)
            index[side] = listed.get(INDEX_PATH)
            for path, sha in listed.items():
                if not path.startswith(INTERNAL) and _owner(registry, path) in grouped:
                    side_files.setdefault(path, sha)
    index_a, index_b = index
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the index (55 MB at 60,000 components) streams from git while the rows are computed
        index_read = pool.submit(store.read_blobs, sorted({s for s in index if s}))
        wanted = set(files_a.values()) | set(files_b.values())
        blobs = store.read_blobs(sorted(wanted)) if wanted else {}
        changes = _changes(registry, split, owners, grouped, files_a, files_b, blobs, neutralize)
        indexes = index_read.result()
    tops = [(change, _top(registry, change)) for change in changes]
    keys = {str(change.component) for change in changes} | {str(top) for _, top in tops}
    by_a = index_entries(indexes.get(index_a) if index_a else None, keys)
    by_b = index_entries(indexes.get(index_b) if index_b else None, keys)
    for change, top in tops:
        # a child the org lists itself (a field, a validation rule) has its own dates: editing
        # it does not touch its object's; entries listMetadata does not list use their parent's
        own = str(change.component)
        change.old_by = _attribution(by_a.get(own) or by_a.get(str(top)))
        change.new_by = _attribution(by_b.get(own) or by_b.get(str(top)))
    changes.sort(key=lambda c: (c.component.type, c.component.full_name))
    read = len(blobs) + len(indexes.keys() - blobs.keys())
    return Diff("", "", a_commit, b_commit, changes, read, len(tree_changes))


def _changes(registry: Registry, split: Splitter, owners: Mapping[ComponentId, set[str]],
             grouped: set[ComponentId], files_a: Mapping[str, str], files_b: Mapping[str, str],
             blobs: Mapping[str, bytes], neutralize: Neutralizer | None) -> list[Change]:
    """The rows of the differing files (attribution not yet filled in)."""
    grouped_paths: dict[ComponentId, tuple[list[str], list[str]]] = {}
    if grouped:
        for side, side_files in ((0, files_a), (1, files_b)):
            for path in side_files:
                owner = registry.component_of(path)
                if owner in grouped:
                    grouped_paths.setdefault(owner, ([], []))[side].append(path)

    changes: list[Change] = []
    for owner, paths in owners.items():
        handler = _handler(registry, owner)
        if handler.files_make_one_component:
            change = _grouped_change(registry, owner, grouped_paths.get(owner, ([], [])),
                                     files_a, files_b, blobs, neutralize)
            if change:
                changes.append(change)
        elif handler is UNKNOWN:
            for path in sorted(paths):
                changes.append(_file_change(owner, path, files_a, files_b, blobs))
        else:
            for path in sorted(paths):
                changes.extend(_xml_changes(registry, split, path, files_a.get(path),
                                            files_b.get(path), blobs, neutralize))
    return changes


def _top(registry: Registry, change: Change) -> ComponentId:
    """The top-level component of a row (permission entries' parent is their profile)."""
    top = change.parent or change.component
    while True:
        parent = registry.parent_id(top) if registry.find(top.type) else top
        if parent == top:
            return top
        top = parent


def _owner(registry: Registry, path: str) -> ComponentId:
    return registry.component_of(path) or ComponentId("File", path)


def _handler(registry: Registry, cid: ComponentId) -> Handler:
    """The owner's handler; UNKNOWN for a file no type claims (compared as a plain file)."""
    mtype = registry.find(cid.type)
    return mtype.handler if mtype is not None else UNKNOWN


def _attribution(entry: dict[str, Any] | None) -> Attribution:
    if not entry:
        return Attribution()
    return Attribution(entry.get("lastModifiedByName"), entry.get("lastModifiedDate"))


def _kind(old: object, new: object) -> ChangeKind:
    return "added" if old is None else "removed" if new is None else "modified"


def _read(blobs: Mapping[str, bytes], sha: str | None, neutralize: Neutralizer | None,
          side: str) -> bytes | None:
    return None if sha is None else _read_blob(blobs, sha, neutralize, side)


def _read_blob(blobs: Mapping[str, bytes], sha: str, neutralize: Neutralizer | None,
               side: str) -> bytes:
    data = blobs[sha]
    return neutralize.side(side, data) if neutralize else data


def _xml_changes(registry: Registry, split: Splitter, path: str, sha_a: str | None,
                 sha_b: str | None, blobs: Mapping[str, bytes],
                 neutralize: Neutralizer | None) -> list[Change]:
    data_a = _read(blobs, sha_a, neutralize, "a")
    data_b = _read(blobs, sha_b, neutralize, "b")
    if data_a == data_b:  # equal once neutralized
        return []
    if data_a is not None and data_b is not None and split is _SPLIT:
        data_a, data_b = prune_common(path, data_a, data_b, registry)
    parts_a = _parts(path, data_a, registry, split)
    parts_b = _parts(path, data_b, registry, split)
    changes = []
    for cid in sorted(parts_a.keys() | parts_b.keys(), key=ID_ORDER):
        pa, pb = parts_a.get(cid), parts_b.get(cid)
        old = pa.xml if pa else None
        new = pb.xml if pb else None
        if old == new:
            continue
        kind = _kind(old, new)
        elements: list[ElementChange] = []
        if old is not None and new is not None:  # modified
            elements = element_changes(old, new, source=f"{path} ({cid})",
                                       keys=sort_keys_for(registry, cid.type))
        parent = (pa if pa is not None else parts_b[cid]).parent  # cid is in one of them
        changes.append(Change(cid, kind, parent, path, elements, old, new))
    return changes


def _parts(path: str, data: bytes | None, registry: Registry, split: Splitter) -> dict[ComponentId, Part]:
    if data is None:
        return {}
    try:
        return {p.id: p for p in parts_of_file(path, data, registry, split)}
    except MetadataError:
        cid = registry.component_of(path) or ComponentId("File", path)
        return {cid: Part(cid, None, data)}  # unreadable XML: compare it as a whole file


def _grouped_change(registry: Registry, owner: ComponentId,
                    paths: tuple[list[str], list[str]], files_a: Mapping[str, str],
                    files_b: Mapping[str, str], blobs: Mapping[str, bytes],
                    neutralize: Neutralizer | None) -> Change | None:
    paths_a, paths_b = sorted(paths[0]), sorted(paths[1])
    data_a = {p: _read_blob(blobs, files_a[p], neutralize, "a") for p in paths_a}
    data_b = {p: _read_blob(blobs, files_b[p], neutralize, "b") for p in paths_b}
    if data_a == data_b:
        return None
    old = b"".join(data_a.values()) if paths_a else None
    new = b"".join(data_b.values()) if paths_b else None
    kind = _kind(old, new)
    elements: list[ElementChange] = []
    if kind == "modified":
        for path in sorted(data_a.keys() | data_b.keys()):
            elements.extend(_file_elements(registry, owner, path, data_a.get(path),
                                           data_b.get(path)))
    main = paths_b[0] if paths_b else paths_a[0]
    path = registry.expected_path(owner) if registry.find(owner.type) else main
    return Change(owner, kind, None, path, elements, old, new)


def _file_elements(registry: Registry, owner: ComponentId, path: str, old: bytes | None,
                   new: bytes | None) -> list[ElementChange]:
    """Per-file detail of a grouped component: XML files element by element, others by size."""
    name = path.rsplit("/", 1)[-1]
    if old == new:
        return []
    if old is None:
        return [ElementChange(name, "added", None, True)]
    if new is None:
        return [ElementChange(name, "removed", True, None)]
    if path.endswith(".xml"):
        found = element_changes(old, new, source=path, keys=sort_keys_for(registry, owner.type))
        if found and found[0].path != "content":
            return [ElementChange(f"{name}: {e.path}", e.kind, e.old, e.new) for e in found]
    return [ElementChange(name, "changed", _size(old), _size(new))]


def _size(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{len(data)} bytes"
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return f"{lines} lines"


def _file_change(owner: ComponentId, path: str, files_a: Mapping[str, str],
                 files_b: Mapping[str, str], blobs: Mapping[str, bytes]) -> Change:
    old = blobs.get(files_a[path]) if path in files_a else None
    new = blobs.get(files_b[path]) if path in files_b else None
    elements = []
    if old is not None and new is not None:
        elements = [ElementChange(path.rsplit("/", 1)[-1], "changed", _size(old), _size(new))]
    return Change(owner, _kind(old, new), None, path, elements, old, new)


def audit_rows(store: SnapshotReader, commit: str) -> list[dict[str, Any]]:
    """The SetupAuditTrail rows stored with a snapshot (newest first)."""
    sha = store.files_under(commit, [AUDIT_PATH]).get(AUDIT_PATH)
    rows = load_json_blob(store.read_blob(sha) if sha else None, [])
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def component_index(store: SnapshotReader, commit: str) -> Mapping[str, dict[str, Any]]:
    """The snapshot's `.sfenv/components.json` ({"Type:FullName": FileProperties}), decoded
    entry by entry as it is read (`ComponentIndex`)."""
    sha = store.files_under(commit, [INDEX_PATH]).get(INDEX_PATH)
    return ComponentIndex(store.read_blob(sha) if sha else None)
