"""Drop the component entries two versions of one XML file share, before splitting them.

A 20,000-field object or a profile with 15,000 permission entries usually differs in a few
entries; splitting both versions in full (one serialisation per entry) is what made diffs
slow. A top-level element that splits into a component of its own (a child component such as
a field, or a profile/permission-set entry) yields the same piece on both sides when its
serialisation is the same, so such elements are removed from both sides first: the pieces
left are exactly the pieces that can differ, and the parent's own piece (the file minus those
elements) is unchanged by the removal.

Elements are matched as a multiset: only identical elements are dropped, so the rows of a
diff are the same with and without pruning. Snapshot files are canonical (`write_xml`: the
declaration, the root with its namespace, each top-level element starting a line at exactly
four spaces, `<` always escaped in text): such a file is cut into its top-level elements as
text and nothing is parsed, so the work follows the entries that differ, not the file's size.
Any other file (comments, CDATA, another layout) is parsed and its elements matched by
`lxml`'s serialisation.
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from sfenv.core.metadata.canontext import top_level
from sfenv.core.metadata.registry import MetadataType, Registry
from sfenv.core.metadata.xmlio import local_name, parse_xml, write_xml
from sfenv.errors import MetadataError


def _entry_names(mtype: MetadataType) -> frozenset[str]:
    names = {s.xml_element for s in mtype.sections}
    if mtype.handler.compares_elements:
        names |= {c.xml_element for c in mtype.children}
    return frozenset(names)


def _entries(root: etree._Element, names: frozenset[str]) -> list[tuple[etree._Element, bytes]]:
    ns = etree.QName(root).namespace
    tags = names | {f"{{{ns}}}{n}" for n in names} if ns else names
    out = []
    for el in root:
        tag = el.tag
        if tag.__class__ is str and (tag in tags or local_name(el) in names):
            out.append((el, etree.tostring(el, with_tail=False)))
    return out


def _prune_text(data_a: bytes, data_b: bytes,
                names: frozenset[str]) -> tuple[bytes, bytes] | None:
    """Pruning by text for two canonical files with the same root line; None when either is
    not canonical (the caller parses them)."""
    a, b = top_level(data_a), top_level(data_b)
    if a is None or b is None or a[0] != b[0]:
        return None
    wanted = {n.encode() for n in names}
    common = (Counter(t for n, t in a[1] if n in wanted)
              & Counter(t for n, t in b[1] if n in wanted))
    if not common:
        return data_a, data_b
    out = []
    for head, elements, tail in (a, b):
        left = Counter(common)
        kept = [head]
        for name, text in elements:
            if name in wanted and left[text] > 0:
                left[text] -= 1
            else:
                kept.append(text)
        # a root left empty keeps the text before its first element, as removing them does
        out.append(b"\n".join(kept) + tail if len(kept) > 1 else head + b"\n    " + tail[1:])
    return out[0], out[1]


def prune_common(path: str, data_a: bytes, data_b: bytes,
                 registry: Registry) -> tuple[bytes, bytes]:
    """`(a, b)` without the component entries both hold unchanged; the inputs when the file
    has no such entries or does not parse (the caller reports it as it is)."""
    cid = registry.component_of(path)
    mtype = registry.find(cid.type) if cid is not None else None
    if mtype is None or not mtype.handler.compares_elements:
        return data_a, data_b
    names = _entry_names(mtype)
    if not names:
        return data_a, data_b
    by_text = _prune_text(data_a, data_b, names)
    if by_text is not None:
        return by_text
    try:
        root_a, root_b = parse_xml(data_a, path), parse_xml(data_b, path)
    except MetadataError:
        return data_a, data_b
    entries_a, entries_b = _entries(root_a, names), _entries(root_b, names)
    common = Counter(key for _, key in entries_a) & Counter(key for _, key in entries_b)
    if not common:
        return data_a, data_b
    for root, entries in ((root_a, entries_a), (root_b, entries_b)):
        left = Counter(common)
        for el, key in entries:
            if left[key] > 0:
                left[key] -= 1
                root.remove(el)
    return write_xml(root_a), write_xml(root_b)
