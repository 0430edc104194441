"""Components inside files: split a parent file into pieces, compose partial parent files.

Why: a CustomField is a component of its own although it lives in `objects/Account.object`.
Diffs, digests and packages work on pieces; each piece is serialized canonically on its own,
so equal components have equal bytes whatever else their file holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from sfenv.core.metadata.canontext import element_texts
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import ChildSpec, MetadataType, Registry
from sfenv.core.metadata.xmlio import (
    NS,
    canonicalize,
    is_xml_path,
    local_name,
    parse_xml,
    sort_list,
    sort_unordered,
    write_xml,
)
from sfenv.errors import MetadataError


@dataclass(frozen=True)
class Piece:
    """One component's canonical XML. `files` holds (path, bytes) of non-XML-strategy
    components (content file + meta, bundle files), so their digest covers the content too."""

    id: ComponentId
    parent: ComponentId | None
    xml: bytes
    files: tuple[tuple[str, bytes], ...] = ()


def child_full_name(parent: ComponentId, spec: ChildSpec, key: str) -> str:
    return f"{parent.full_name}.{key}" if spec.qualified else key


def _child_key(el: etree._Element, spec: ChildSpec, source: str) -> str:
    tag = el.tag
    key = el.findtext(tag[: tag.index("}") + 1] + spec.key_element if tag[0] == "{"
                      else spec.key_element)
    key = key.strip() if key else key
    if not key:
        line = el.sourceline or 1
        raise MetadataError(f"{source}:{line}: <{spec.xml_element}> without <{spec.key_element}>")
    return key


def _parent_type(type_name: str, registry: Registry) -> MetadataType:
    t = registry.find(type_name)
    if t is None:
        raise MetadataError(f"unknown metadata type: {type_name}")
    return registry.get(t.parent) if t.parent else t


def split_file(path: str, data: bytes, registry: Registry) -> list[Piece]:
    """Pieces of one file: the top-level component (minus child elements) + one per child.

    XML files only (an XML-strategy component file, or a -meta.xml file); other files have no
    XML pieces and give []. Unknown paths raise MetadataError.
    """
    cid = registry.component_of(path)
    if cid is None:
        raise MetadataError(f"{path}: not a metadata file sfenv knows")
    mtype = registry.get(cid.type)
    if not is_xml_path(path, mtype):
        return []
    root = parse_xml(data, path)
    with_children = bool(mtype.children) and mtype.handler.compares_elements
    # a child's text in a canonical file is already its piece (unless sorting changes it)
    texts = element_texts(data, root) if with_children else {}
    sort_unordered(root, mtype)
    pieces: list[Piece] = []
    if with_children:
        nested = _nested_unordered(mtype)
        for el in list(root):
            name = local_name(el)
            spec = mtype.child_spec(name)
            if spec is None:
                continue
            key = _child_key(el, spec, path)
            child_type = registry.get(spec.type_name)
            if child_type.unordered:
                sort_unordered(el, child_type)
            xml = texts.get(el)
            if xml is None or child_type.unordered or name in nested:
                xml = write_xml(el)
            child_id = ComponentId(spec.type_name, child_full_name(cid, spec, key))
            pieces.append(Piece(child_id, cid, xml))
            root.remove(el)
    pieces.insert(0, Piece(cid, None, write_xml(root)))
    return pieces


def _nested_unordered(mtype: MetadataType) -> frozenset[str]:
    """Elements holding a list the type sorts ("recordTypes/picklistValues"): their text in a
    file may change when split, so they are always written."""
    return frozenset(u.split("/", 1)[0] for u in mtype.unordered if "/" in u)


def _sort_key(spec: ChildSpec, el: etree._Element) -> str:
    return el.findtext(f"{{{NS}}}{spec.key_element}") or el.findtext(spec.key_element) or ""


def _place_children(root: etree._Element, mtype: MetadataType,
                    children: Sequence[etree._Element]) -> None:
    """Insert child elements grouped by element, groups in element-name order among the
    parent's own elements (Salesforce writes elements in that order), each group by key."""
    groups: dict[str, list[etree._Element]] = {}
    for el in children:
        groups.setdefault(local_name(el), []).append(el)
    for name in sorted(groups):
        spec = mtype.child_spec(name)
        assert spec is not None
        pos = len(root)
        for i, existing in enumerate(root):
            existing_name = local_name(existing)
            if existing_name and existing_name > name:
                pos = i
                break
        for offset, el in enumerate(groups[name]):
            root.insert(pos + offset, el)
        sort_list(root, name, spec.key_element)


def _adopt(el: etree._Element, root: etree._Element) -> etree._Element:
    """Copy `el` into root's namespace (child pieces are parsed as their own documents)."""
    ns = etree.QName(root).namespace
    if etree.QName(el).namespace == ns:
        return el
    raise MetadataError(f"child element <{local_name(el)}> has a different XML namespace")


def compose_file(type_name: str, children: Sequence[bytes], parent_xml: bytes | None,
                 registry: Registry) -> bytes:
    """A parent file holding just these child pieces (plus the parent's own elements if given),
    in Salesforce's order. `type_name` may be the parent type or a child type."""
    mtype = _parent_type(type_name, registry)
    if parent_xml is not None:
        root = parse_xml(parent_xml, f"{mtype.name} parent")
        for el in list(root):
            if mtype.child_spec(local_name(el)) is not None:
                root.remove(el)
    else:
        root = etree.Element(f"{{{NS}}}{mtype.name}", nsmap={None: NS})  # type: ignore[dict-item]  # lxml-stubs 0.5.1: a None key (the default namespace) is valid
    seen: set[tuple[str, str]] = set()
    elements = []
    for i, data in enumerate(children):
        el = parse_xml(data, f"{mtype.name} child #{i + 1}")
        spec = mtype.child_spec(local_name(el))
        if spec is None:
            raise MetadataError(f"{mtype.name} child #{i + 1}: <{local_name(el)}> is not a child "
                                f"element of {mtype.name}")
        key = (spec.xml_element, _child_key(el, spec, f"{mtype.name} child #{i + 1}"))
        if key in seen:
            continue
        seen.add(key)
        elements.append(_adopt(el, root))
    _place_children(root, mtype, elements)
    sort_unordered(root, mtype)
    return write_xml(root)


def keep_children(path: str, data: bytes, keep: set[ComponentId], registry: Registry) -> bytes:
    """The file with only the child components listed in `keep` (whole file, canonical, when the
    top-level component itself is in `keep`)."""
    cid = registry.component_of(path)
    if cid is None:
        raise MetadataError(f"{path}: not a metadata file sfenv knows")
    mtype = registry.get(cid.type)
    root = parse_xml(data, path)
    if cid not in keep:
        for el in list(root):
            spec = mtype.child_spec(local_name(el))
            if spec is None:
                continue
            child_id = ComponentId(spec.type_name, child_full_name(cid, spec, _child_key(el, spec, path)))
            if child_id not in keep:
                root.remove(el)
    sort_unordered(root, mtype)
    return write_xml(root)


def whole_if_kept(path: str, data: bytes, keep: set[ComponentId],
                  registry: Registry) -> bytes | None:
    """The whole file, canonical, when `keep` holds its top-level component and every child
    it carries; else None. One parse and no piece written: a train adding whole objects used to
    split each file into pieces only to learn that every one of them was kept."""
    cid = registry.component_of(path)
    if cid is None:
        raise MetadataError(f"{path}: not a metadata file sfenv knows")
    if cid not in keep:
        return None
    mtype = registry.get(cid.type)
    root = parse_xml(data, path)
    for el in root:
        spec = mtype.child_spec(local_name(el))
        if spec is not None and ComponentId(
                spec.type_name, child_full_name(cid, spec, _child_key(el, spec, path))) not in keep:
            return None
    sort_unordered(root, mtype)
    return write_xml(root)


def component_pieces(files: Mapping[str, bytes], registry: Registry) -> dict[ComponentId, Piece]:
    """Every component (top-level and child) of a file tree, keyed by id. Unknown paths are
    ignored. Content and bundle components carry their canonical files in `Piece.files`."""
    pieces: dict[ComponentId, Piece] = {}
    grouped: dict[ComponentId, list[str]] = {}
    for path in files:
        cid = registry.component_of(path)
        if cid is not None:
            grouped.setdefault(cid, []).append(path)
    for cid, paths in grouped.items():
        mtype = registry.get(cid.type)
        try:
            if mtype.handler.compares_elements and len(paths) == 1:
                for piece in split_file(paths[0], files[paths[0]], registry):
                    pieces[piece.id] = piece
                continue
            canon = tuple((p, canonicalize(p, files[p], registry)) for p in sorted(paths))
        except MetadataError:
            # kept as the org gave it (see sfenv.services.pull.normalise): an opaque whole, no XML
            pieces[cid] = Piece(cid, None, b"", tuple((p, files[p]) for p in sorted(paths)))
            continue
        meta = [data for p, data in canon if p.endswith("-meta.xml") and
                registry.meta_path(cid) in (p, None)]
        xml = meta[0] if meta else next((d for p, d in canon if p.endswith("-meta.xml")), b"")
        pieces[cid] = Piece(cid, None, xml, canon)
    return pieces
