"""Source format <-> Metadata API format, for every type the registry knows.

`to_mdapi` takes the files of one or more package directories (paths as in the repository)
and gives the Metadata API tree (paths from the type directory on, as a retrieve returns
them); `to_source` is the reverse, giving paths relative to a package directory's
`main/default`. Both are pure and do not normalise: XML of files that need no reshaping is
passed through byte for byte, so that a round trip of a repository is byte-identical.
Type behaviour comes from the registry (strategy, suffix, folders) and the source table
(decomposed, mixed-content and merged types), not from per-type branches.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lxml import etree

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import META, MetadataType, Registry
from sfenv.core.metadata.source_format import SourceTable
from sfenv.core.metadata.xmlio import NS, canonical_text, local_name, parse_xml, write_xml
from sfenv.errors import MetadataError
from sfenv.io.source import staticres
from sfenv.io.source.decompose import Keyless, Q, compose, decompose, locale_key, qualified
from sfenv.io.source.paths import locate


@dataclass
class Conversion:
    files: dict[str, bytes] = field(default_factory=dict)
    origin: dict[str, list[str]] = field(default_factory=dict)  # output path -> input paths
    warnings: list[str] = field(default_factory=list)
    keyless: dict[str, list[Keyless]] = field(default_factory=dict)  # output path -> children

    def put(self, path: str, data: bytes, *sources: str) -> None:
        self.files[path] = data
        self.origin.setdefault(path, []).extend(sources)


# --- source -> Metadata API -------------------------------------------------------------------

def to_mdapi(files: Mapping[str, bytes], registry: Registry,
             table: SourceTable | None = None) -> Conversion:
    """The Metadata API tree of source-format files (several package directories may mix)."""
    table = table or registry.source
    out = Conversion()
    by_type: dict[str, dict[str, tuple[str, bytes]]] = defaultdict(dict)  # type -> rel -> (src, data)
    for path in sorted(files):
        found = locate(path, registry, table)
        if found is None:
            out.warnings.append(f"{path}: not metadata, left out")
            continue
        previous = by_type[found.type].get(found.rel)
        if (previous is not None and found.type not in table.merged
                and found.type not in table.decomposed):
            merged = _merge_duplicate(previous, (path, files[path]))
            if merged is not None:
                by_type[found.type][found.rel] = merged
                out.warnings.append(f"{path}: the same component file as {previous[0]} (two "
                                    f"package directories hold {found.rel}): entries merged")
                continue
        if previous is not None and found.type in table.decomposed and previous[1] == files[path]:
            # arbeidsgiver keeps one list view file, byte for byte, in two package directories
            out.warnings.append(f"{path}: the same file as {previous[0]} (two package "
                                f"directories hold {found.rel}): one kept")
            continue
        if previous is not None and found.type not in table.merged:
            raise MetadataError(f"{path}: the same component file as {previous[0]} "
                                f"(two package directories hold {found.rel})")
        if previous is not None:  # CustomLabels in several package directories: merged below
            by_type[found.type][found.rel + "\0" + path] = (path, files[path])
        else:
            by_type[found.type][found.rel] = (path, files[path])
    for type_name, rels in sorted(by_type.items()):
        if type_name in table.decomposed:
            _compose_decomposed(type_name, rels, registry, table, out)
        elif type_name in table.label_files:
            _label_files_to_mdapi(type_name, rels, registry, table, out)
        elif type_name in table.merged_folders:
            _folders_to_mdapi(type_name, rels, registry, table, out)
        elif (handler := _handler(type_name, registry)) is not None:
            _TO_MDAPI[handler](type_name, rels, registry, table, out)
        else:
            _plain_to_mdapi(type_name, rels, registry, table, out)
    return out


def _merge_duplicate(first: tuple[str, bytes], second: tuple[str, bytes]
                     ) -> tuple[str, bytes] | None:
    """One file from two package directories' copies of one component file (the same
    Translations or SharingRules file kept beside the feature using it, as real repositories
    do): identical bytes, or XML whose list entries are united and whose single values
    agree. None when they conflict (a different `apiVersion`, two Apex bodies): an error."""
    if first[1] == second[1]:
        return first
    if not first[0].endswith(META):
        return None
    a, b = parse_xml(first[1], first[0]), parse_xml(second[1], second[0])
    if a.tag != b.tag:
        return None
    single = {local_name(c): canonical_text(c) for c in a if isinstance(c.tag, str) and not len(c)}
    seen = {canonical_text(c) for c in a if isinstance(c.tag, str)}
    for child in list(b):
        if not isinstance(child.tag, str):
            continue
        text = canonical_text(child)
        name = local_name(child)
        if not len(child) and name in single:
            if single[name] != text:
                return None
            continue
        if text not in seen:
            seen.add(text)
            a.append(child)
    kept = sorted((c for c in a if isinstance(c.tag, str)), key=local_name)  # stable
    for child in list(a):
        a.remove(child)
    a.extend(kept)
    return first[0], write_xml(a)


def _compose_decomposed(type_name: str, rels: Mapping[str, tuple[str, bytes]],
                        registry: Registry, table: SourceTable, out: Conversion) -> None:
    parent = table.decomposed[type_name]
    mtype = registry.get(type_name)
    groups: dict[str, dict[str, tuple[str, bytes]]] = defaultdict(dict)
    for rel, item in rels.items():
        parts = rel.split("/")
        if len(parts) < 3:
            out.warnings.append(f"{item[0]}: not inside a {mtype.directory}/<name>/ folder, left out")
            continue
        groups[parts[1]][rel] = item
    for name, members in sorted(groups.items()):
        parent_rel = f"{mtype.directory}/{name}/{name}.{mtype.suffix}{META}"
        parent_item = members.get(parent_rel)
        children = {src: data for rel, (src, data) in members.items() if rel != parent_rel}
        keyless: list[Keyless] = []
        data = compose(parent, name, mtype.suffix or "", parent_item[1] if parent_item else None,
                       children, parent_item[0] if parent_item else parent_rel, keyless)
        out.put(f"{mtype.directory}/{name}.{mtype.suffix}", data, *(s for s, _ in members.values()))
        if keyless:
            out.keyless[f"{mtype.directory}/{name}.{mtype.suffix}"] = keyless


def _handler(type_name: str, registry: Registry) -> str | None:
    mtype = registry.find(type_name)
    return mtype.source_handler if mtype is not None else None


def _static_resources_to_mdapi(type_name: str, rels: Mapping[str, tuple[str, bytes]],
                               registry: Registry, table: SourceTable, out: Conversion) -> None:
    """staticresources/<name>/... (an expanded archive) or <name>.<ext>, with
    <name>.resource-meta.xml -> staticresources/<name>.resource + its -meta.xml."""
    mtype = registry.get(type_name)
    suffix = f".{mtype.suffix}"
    by_name: dict[str, dict[str, tuple[str, bytes]]] = defaultdict(dict)
    for rel, item in rels.items():
        inner = rel.split("/", 1)[1]
        head = inner.split("/", 1)[0]
        name = head.removesuffix(suffix + META) if head.endswith(META) else (
            head if "/" in inner else head.split(".", 1)[0])
        by_name[name][inner] = item
    for name, members in sorted(by_name.items()):
        meta_key = f"{name}{suffix}{META}"
        if meta_key not in members:
            out.warnings.append(f"{next(iter(members.values()))[0]}: static resource without "
                                f"{meta_key}, left out")
            continue
        meta_src, meta = members.pop(meta_key)
        content = {k: d for k, (_s, d) in members.items()}
        if not content:
            out.warnings.append(f"{meta_src}: static resource without content, left out")
            continue
        target = f"{mtype.directory}/{name}{suffix}"
        out.put(target, staticres.to_mdapi_content(name, content), *(s for s, _ in members.values()))
        out.put(target + META, meta, meta_src)


def _documents_to_mdapi(type_name: str, rels: Mapping[str, tuple[str, bytes]],
                        registry: Registry, table: SourceTable, out: Conversion) -> None:
    """documents/F/logo.png + logo.document-meta.xml -> documents/F/logo.png + logo.png-meta.xml."""
    own_meta = f".{registry.get(type_name).suffix}{META}"
    metas = {rel[: -len(own_meta)]: item for rel, item in rels.items() if rel.endswith(own_meta)}
    for rel, (src, data) in sorted(rels.items()):
        if rel.endswith(own_meta):
            continue
        if rel.endswith(META):  # folder files: documents/F.documentFolder-meta.xml
            _plain_to_mdapi(type_name, {rel: (src, data)}, registry, table, out)
            continue
        stem = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1] else rel
        meta = metas.pop(stem, None)
        out.put(rel, data, src)
        if meta is None:
            out.warnings.append(f"{src}: document without {stem.rsplit('/', 1)[-1]}{own_meta}")
        else:
            out.put(rel + META, meta[1], meta[0])
    for _stem, (src, _data) in sorted(metas.items()):
        out.warnings.append(f"{src}: document metadata without its file, left out")


def _plain_to_mdapi(type_name: str, rels: Mapping[str, tuple[str, bytes]], registry: Registry,
                    table: SourceTable, out: Conversion) -> None:
    """Same layout, `-meta.xml` dropped from XML files; folder files lose their suffix."""
    merged: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    for rel, (src, data) in sorted(rels.items()):
        rel = rel.split("\0", 1)[0]
        target = _mdapi_path(rel, registry)
        if type_name in table.merged:
            merged[target].append((src, data))
        else:
            out.put(target, data, src)
    for target, items in merged.items():
        if len(items) == 1:
            out.put(target, items[0][1], items[0][0])
            continue
        root = parse_xml(items[0][1], items[0][0])
        for src, data in items[1:]:
            for node in parse_xml(data, src):
                if isinstance(node.tag, str):
                    root.append(node)
        out.put(target, write_xml(root), *(s for s, _ in items))


def _label_files_to_mdapi(type_name: str, rels: Mapping[str, tuple[str, bytes]],
                          registry: Registry, table: SourceTable, out: Conversion) -> None:
    """decomposeCustomLabelsBeta2: every `labels/<Name>.label-meta.xml` into one CustomLabels."""
    spec = table.label_files[type_name]
    mtype = registry.get(type_name)
    singles = {rel: item for rel, item in rels.items()
               if rel.endswith(f".{spec.suffix}{META}") and rel.count("/") == 1}
    rest = {rel: item for rel, item in rels.items() if rel not in singles}
    if rest:
        _plain_to_mdapi(type_name, rest, registry, table, out)
    if not singles:
        return
    target = f"{mtype.directory}/{type_name}.{mtype.suffix}"
    root = (parse_xml(out.files[target], target) if target in out.files
            else etree.Element(Q + type_name, nsmap={None: NS}))  # type: ignore[dict-item]  # lxml-stubs refuse None
    items = []
    for _rel, (src, data) in sorted(singles.items()):
        doc = parse_xml(data, src)
        element = etree.Element(Q + spec.element)
        for node in doc:
            element.append(qualified(copy.deepcopy(node)))
        items.append(element)
    for element in sorted(items, key=lambda el: locale_key(el.findtext(Q + "fullName") or "")):
        root.append(element)
    out.put(target, write_xml(root), *(src for src, _ in singles.values()))


def _folders_to_mdapi(type_name: str, rels: Mapping[str, tuple[str, bytes]], registry: Registry,
                      table: SourceTable, out: Conversion) -> None:
    """decomposePermissionSetBeta2: the files of `permissionsets/<Name>/` make one set, its
    elements in element-name order (as Salesforce writes a permission set)."""
    mtype = registry.get(type_name)
    groups: dict[str, dict[str, tuple[str, bytes]]] = defaultdict(dict)
    plain: dict[str, tuple[str, bytes]] = {}
    for rel, item in rels.items():
        parts = rel.split("/")
        (groups[parts[1]] if len(parts) > 2 else plain)[rel] = item
    if plain:
        _plain_to_mdapi(type_name, plain, registry, table, out)
    for name, members in sorted(groups.items()):
        parent_rel = f"{mtype.directory}/{name}/{name}.{mtype.suffix}{META}"
        root = (parse_xml(members[parent_rel][1], members[parent_rel][0]) if parent_rel in members
                else etree.Element(Q + type_name, nsmap={None: NS}))  # type: ignore[dict-item]  # lxml-stubs refuse None
        for rel, (src, data) in sorted(members.items()):
            if rel != parent_rel:
                for node in parse_xml(data, src):
                    if isinstance(node.tag, str):
                        root.append(qualified(copy.deepcopy(node)))
        ordered = sorted((n for n in root if isinstance(n.tag, str)), key=local_name)
        for node in ordered:
            node.tail = None
            root.append(node)
        out.put(f"{mtype.directory}/{name}.{mtype.suffix}", write_xml(root),
                *(src for src, _ in members.values()))


def _mdapi_path(rel: str, registry: Registry) -> str:
    if not rel.endswith(META):
        return rel
    directory = rel.split("/", 1)[0]
    stem = rel[: -len(META)]
    for t in registry.all():
        if t.directory != directory or not t.suffix or not stem.endswith("." + t.suffix):
            continue
        if t.handler.is_folder:
            return stem[: -len(t.suffix) - 1] + META  # reports/Sales-meta.xml, as retrieved
        if t.handler.compares_elements:
            return stem
    return rel  # content and bundle types keep their -meta.xml


# --- Metadata API -> source -------------------------------------------------------------------

def _resource_to_source(path: str, data: bytes, cid: ComponentId, mtype: MetadataType,
                        files: Mapping[str, bytes], out: Conversion) -> bool:
    """A static resource's archive expanded into staticresources/<name>/ (its content type
    says whether it is one); its -meta.xml passes through as it is."""
    if path.endswith(META):
        return False
    meta = files.get(path + META)
    ctype = staticres.content_type(meta, path + META) if meta else ""
    unpacked = staticres.to_source_files(cid.full_name, data, ctype)
    for rel, content in unpacked.items():
        out.put(f"{mtype.directory}/{rel}", content, path)
    kept = next(iter(unpacked))
    if staticres.is_archive(ctype, data) and "/" not in kept:
        out.warnings.append(f"{path}: archive kept as one file ({mtype.directory}/{kept}): "
                            "unpacked, its hidden files (or no files) would be lost")
    return True


def _document_to_source(path: str, data: bytes, cid: ComponentId, mtype: MetadataType,
                        files: Mapping[str, bytes], out: Conversion) -> bool:
    """documents/F/logo.png-meta.xml -> documents/F/logo.document-meta.xml; the file as it is."""
    if not path.endswith(META):
        return False
    stem = path[: -len(META)]
    base = stem.rsplit(".", 1)[0] if "." in stem.rsplit("/", 1)[-1] else stem
    out.put(f"{base}.{mtype.suffix}{META}", data, path)
    return True


_TO_MDAPI: dict[str, Callable[[str, Mapping[str, tuple[str, bytes]], Registry, SourceTable,
                               Conversion], None]] = {
    "archive_folder": _static_resources_to_mdapi, "meta_by_suffix": _documents_to_mdapi}
_TO_SOURCE: dict[str, Callable[[str, bytes, ComponentId, MetadataType, Mapping[str, bytes],
                                Conversion], bool]] = {
    "archive_folder": _resource_to_source, "meta_by_suffix": _document_to_source}


def to_source(files: Mapping[str, bytes], registry: Registry,
              table: SourceTable | None = None, *,
              existing: Mapping[str, bytes] | None = None) -> Conversion:
    """Source-format files (relative to a package directory's main/default) of a Metadata API tree.

    `existing`: the files already in that folder; an XML file whose content equals the one we
    would write (same XML, other formatting) keeps its bytes, so exporting into a project
    changes only what changed.
    """
    table = table or registry.source
    out = _to_source(files, registry, table)
    if existing:
        for path, data in out.files.items():
            old = existing.get(path)
            if old is not None and old != data and path.endswith(".xml") and _same_xml(old, data, path):
                out.files[path] = old
    return out


def _same_xml(a: bytes, b: bytes, source: str) -> bool:
    try:
        return write_xml(parse_xml(a, source)) == write_xml(parse_xml(b, source))
    except MetadataError:
        return False


def _to_source(files: Mapping[str, bytes], registry: Registry, table: SourceTable) -> Conversion:
    out = Conversion()
    for path in sorted(files):
        if path.startswith(".sfenv/") or path == "package.xml" or "/" not in path:
            continue
        cid = registry.component_of(path)
        if cid is None:
            out.warnings.append(f"{path}: not metadata sfenv knows, left out")
            continue
        mtype = registry.get(cid.type)
        data = files[path]
        if cid.type in table.decomposed and path == registry.expected_path(cid):
            pieces = decompose(table.decomposed[cid.type], cid.full_name, mtype.suffix or "",
                               data, path, mtype.directory)
            for target, piece in pieces.items():
                out.put(target, piece, path)
        elif mtype.source_handler and _TO_SOURCE[mtype.source_handler](path, data, cid, mtype,
                                                                       files, out):
            continue
        elif mtype.handler.is_folder:
            stem = path[: -len(META)]
            if not stem.endswith("." + (mtype.suffix or "")):
                stem = f"{stem}.{mtype.suffix}"
            out.put(stem + META, data, path)
        elif mtype.handler.compares_elements and not path.endswith(META):
            out.put(path + META, data, path)
        else:
            out.put(path, data, path)
    return out


def owners(conversion: Conversion, registry: Registry) -> dict[str, ComponentId]:
    """Each output file's top-level component (for messages and the components index)."""
    found: dict[str, ComponentId] = {}
    for path in conversion.files:
        cid = registry.component_of(path)
        if cid is not None:
            found[path] = cid
    return found
