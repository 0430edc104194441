"""Where a file of an sfdx package directory belongs: its type and its path from the type's
directory on (`force-app/main/default/classes/Foo.cls` -> ApexClass, `classes/Foo.cls`).

A `-meta.xml` file is recognised by its suffix (a type's, or a decomposed child's) and the
nearest folder named like that type's directory; any other file belongs to the outermost
folder of a type that holds content files (bundles, static resources, documents, Apex...), so a
static resource folder may contain anything, even folders called `classes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfenv.core.metadata.registry import META, MetadataType, Registry
from sfenv.core.metadata.source_format import SourceTable


@dataclass(frozen=True)
class Located:
    type: str  # top-level type owning the file (CustomObject for a field file)
    rel: str  # path from the type directory on: "objects/Account/fields/X.field-meta.xml"


@dataclass(frozen=True)
class _Index:
    by_suffix: dict[str, tuple[tuple[str, str], ...]]  # suffix -> ((type, directory), ...)
    containers: dict[str, str]  # directory holding content files -> type
    flat: dict[str, str]  # of those, the flat ones (classes, pages) -> their type's suffix


_INDEXES: dict[tuple[int, int], tuple[Registry, SourceTable, _Index]] = {}


def _index(registry: Registry, table: SourceTable) -> _Index:
    """Cached per (registry, table) object: hashing the registry per file would cost more."""
    key = (id(registry), id(table))
    hit = _INDEXES.get(key)
    if hit is None or hit[0] is not registry or hit[1] is not table:
        hit = _INDEXES[key] = (registry, table, _build_index(registry, table))
    return hit[2]


def _build_index(registry: Registry, table: SourceTable) -> _Index:
    by_suffix: dict[str, list[tuple[str, str]]] = {}
    containers: dict[str, str] = {}
    for t in registry.all():
        if t.suffix:
            by_suffix.setdefault(t.suffix, []).append((t.name, t.directory))
        if t.handler.files_make_one_component or t.name in table.mixed_content:
            containers.setdefault(t.directory, t.name)
    for suffix, (parent, _child) in table.child_suffixes().items():
        directory = registry.get(parent.parent).directory
        by_suffix.setdefault(suffix, []).insert(0, (parent.parent, directory))
    for type_name, labels in table.label_files.items():
        by_suffix.setdefault(labels.suffix, []).insert(0, (type_name, registry.get(type_name).directory))
    for type_name, suffixes in table.merged_folders.items():
        for suffix in suffixes:
            by_suffix.setdefault(suffix, []).insert(0, (type_name, registry.get(type_name).directory))
    flat = {d: registry.get(n).suffix or "" for d, n in containers.items()
            if _one_content_file(registry.get(n)) and n not in table.mixed_content}
    return _Index({k: tuple(v) for k, v in by_suffix.items()}, containers, flat)


def locate(path: str, registry: Registry, table: SourceTable) -> Located | None:
    """The type and type-relative path of a source file, or None when it is not metadata."""
    segments = path.split("/")
    index = _index(registry, table)
    # the outermost folder named like a content type's: a static resource may hold a folder
    # called `classes`; but a flat type's folder (classes, components, pages) counts only for
    # its own files (by suffix) or the files directly in it, so
    # `force-app/components/feature/classes/X.cls` is an Apex class of a feature folder named
    # `components`, not an Apex component; `classes/sub/X.cls` is the Apex class X
    name = segments[-1]
    last = len(segments) - 2
    container = next((i for i, s in enumerate(segments[:-1])
                      if s in index.containers and (i == last or s not in index.flat
                                                    or _has_suffix(name, index.flat[s]))), None)
    if name.endswith(META):
        stem = name[: -len(META)]
        suffix = stem.rsplit(".", 1)[1] if "." in stem else ""
        for type_name, directory in index.by_suffix.get(suffix, ()):
            found = [i for i, s in enumerate(segments[:-1]) if s == directory]
            if not found:
                continue
            i = found[-1]
            if container is not None and container < i:
                break  # a -meta.xml inside a bundle or a static resource folder
            if directory in index.flat:  # sub-folders of classes/ are the team's, not the type's
                return Located(type_name, f"{directory}/{name}")
            return Located(type_name, "/".join(segments[i:]))
    if container is not None:
        folder = segments[container]
        if folder in index.flat:
            return Located(index.containers[folder], f"{folder}/{name}")
        return Located(index.containers[folder], "/".join(segments[container:]))
    return None


def _has_suffix(name: str, suffix: str) -> bool:
    return bool(suffix) and (name.endswith(f".{suffix}") or name.endswith(f".{suffix}{META}"))


def _one_content_file(t: MetadataType) -> bool:
    """A content type (a file and its -meta.xml), not a bundle and not in folders."""
    return t.handler.body_with_meta and not t.in_folder
