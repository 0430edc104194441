"""sfenv's one XML toolkit: hardened parsing, Salesforce's exact byte format, small readers.

Why: snapshots must be byte-stable (equal content, equal git blob), so we write XML exactly as
Salesforce does and normalize only the lists the registry marks unordered. Metadata comes from
orgs, zips and repositories we do not control, so parsing never resolves entities, loads DTDs
or touches the network. Every layer (the local org and the SOAP readers included) parses with
`hardened_parser`/`parse_xml`/`iter_top_level`, names elements with `local_name`, reads leaf
text with `child_text` and writes with `write_xml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, cast

from lxml import etree

from sfenv.errors import MetadataError

if TYPE_CHECKING:
    from sfenv.core.metadata.registry import MetadataType, Registry

NS = "http://soap.sforce.com/2006/04/metadata"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
INDENT = "    "
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)")


def hardened_parser(*, huge_tree: bool = False) -> etree.XMLParser:
    """The parser settings every sfenv parse uses: no entities, no network, no DTD.
    `huge_tree` only for SOAP answers (a large org's listMetadata is over 10 MB).
    One per call: lxml parsers must not be shared between threads, and they are cheap."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=huge_tree, dtd_validation=False, remove_blank_text=False)




def _refuse_declarations(data: bytes, source: str) -> None:
    bad = _FORBIDDEN.search(data)
    if bad:
        line = data.count(b"\n", 0, bad.start()) + 1
        raise MetadataError(f"{source}:{line}: DOCTYPE and entity declarations are not allowed")


def _syntax_error(exc: etree.XMLSyntaxError, source: str) -> MetadataError:
    line = exc.lineno or (exc.position[0] if exc.position else 1)
    msg = (exc.msg or str(exc)).split(", line ")[0]
    return MetadataError(f"{source}:{line}: {msg}")


def parse_xml(data: bytes, source: str) -> etree._Element:
    """Parse metadata XML; MetadataError("source:line: why") for malformed or hostile input."""
    if not data or not data.strip():
        raise MetadataError(f"{source}:1: empty XML document")
    _refuse_declarations(data, source)
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source) from None
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise MetadataError(f"{source}:1: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise MetadataError(f"{source}:1: DOCTYPE declarations are not allowed")
    for node in root.iter(etree.Entity):
        raise MetadataError(f"{source}:{node.sourceline or 1}: entity references are not allowed")
    return root


def _escape(text: str) -> str:
    # `in` checks are much cheaper than translate() for the common text with nothing to escape
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "'" in text:
        text = text.replace("'", "&apos;")
    return text


def _name(qname: str, nsmap: dict) -> str:
    """`{ns}local` -> `local` (default namespace) or `prefix:local`."""
    if qname[0] != "{":
        return qname
    ns, local = qname[1:].split("}", 1)
    for prefix, uri in nsmap.items():
        if uri == ns:
            return local if prefix is None else f"{prefix}:{local}"
    return local


def _start_tag(el: etree._Element, declared: dict) -> tuple[str, dict]:
    nsmap = el.nsmap
    parts = [_name(el.tag, nsmap)]
    if nsmap != declared:
        for prefix, uri in nsmap.items():
            if declared.get(prefix) != uri:
                attr = "xmlns" if prefix is None else f"xmlns:{prefix}"
                parts.append(f'{attr}="{_escape(uri)}"')
    for key, value in el.attrib.items():
        parts.append(f'{_name(key, nsmap)}="{_escape(value)}"')
    return " ".join(parts), nsmap


def _write(el: etree._Element, depth: int, declared: dict, out: list[str]) -> None:
    tag = el.tag
    pad = INDENT * depth
    if not isinstance(tag, str):  # comment or processing instruction
        if isinstance(el, etree._Comment):
            out.append(f"{pad}<!--{el.text or ''}-->")
        elif isinstance(el, etree._ProcessingInstruction):
            out.append(f"{pad}<?{el.target} {el.text or ''}?>")
        return
    default = declared.get(None)
    # Fast path: an element of the declared default namespace, without attributes, declaring
    # nothing new (every element of a Salesforce file but the root).
    if default and tag.startswith("{") and not el.attrib and tag[1:len(default) + 1] == default \
            and tag[len(default) + 1] == "}":
        name = start = tag[len(default) + 2:]
        nsmap = declared
    elif not default and tag[0] != "{" and not el.attrib and not declared:
        name = start = tag
        nsmap = declared
    else:
        start, nsmap = _start_tag(el, declared)
        name = start.split(" ", 1)[0]
    if len(el):
        text = el.text
        lead = _escape(text) if text and text.strip() else ""
        out.append(f"{pad}<{start}>{lead}")
        for child in el:
            _write(child, depth + 1, nsmap, out)
        out.append(f"{pad}</{name}>")
    elif el.text:
        out.append(f"{pad}<{start}>{_escape(el.text)}</{name}>")
    else:
        out.append(f"{pad}<{start}/>")


class _NotPlain(Exception):
    """An element below the root has attributes or another namespace: use the full writer."""


def _write_plain(el: etree._Element, pad: str, prefix: str, out: list[str]) -> None:
    """Children of `el` when all are in the default namespace `prefix` ("{ns}") and have no
    attributes: the common case, written without per-element namespace bookkeeping."""
    cut = len(prefix)
    for child in el:
        tag = child.tag
        if tag.__class__ is not str:
            _write(child, len(pad) // 4, {}, out)
            continue
        if not tag.startswith(prefix) or child.keys():
            raise _NotPlain
        name = tag[cut:]
        text = child.text
        if len(child):
            lead = _escape(text) if text and text.strip() else ""
            out.append(f"{pad}<{name}>{lead}")
            _write_plain(child, pad + INDENT, prefix, out)
            out.append(f"{pad}</{name}>")
        elif text:
            out.append(f"{pad}<{name}>{_escape(text)}</{name}>")
        else:
            out.append(f"{pad}<{name}/>")


def _write_root(root: etree._Element, out: list[str]) -> None:
    tag = root.tag
    if tag.__class__ is str and tag[0] == "{" and len(root) and not root.keys():
        default = tag[1:tag.index("}")]
        nsmap = root.nsmap
        if len(nsmap) == 1 and nsmap.get(None) == default:
            mark = len(out)
            name = tag[len(default) + 2:]
            text = root.text
            out.append(f'<{name} xmlns="{_escape(default)}">'
                       f"{_escape(text) if text and text.strip() else ''}")
            try:
                _write_plain(root, INDENT, f"{{{default}}}", out)
                out.append(f"</{name}>")
                return
            except _NotPlain:
                del out[mark:]
    _write(root, 0, {}, out)


def write_xml(root: etree._Element) -> bytes:
    """Serialize as Salesforce does: declaration, 4-space indent, `\\n`, `<tag/>`, full escaping.

    Comments before a document's root (only when `root` has no parent) are kept, so that a
    round trip of an unchanged file is byte-identical.
    """
    out = [DECLARATION]
    top = root.getparent() is None
    if top and root.getprevious() is not None:
        for sib in reversed(list(root.itersiblings(preceding=True))):
            _write(sib, 0, {}, out)
    _write_root(root, out)
    if top and root.getnext() is not None:
        for sib in root.itersiblings():
            _write(sib, 0, {}, out)
    out.append("")
    return "\n".join(out).encode("utf-8")


def iter_top_level(data: bytes, source: str, wanted: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Yield `(local name, text)` of the root's direct children named in `wanted`, streaming
    with the same hardening as `parse_xml`.

    Each top-level element is freed once read, so memory stays flat for a 10 MB object file.
    Stops early once every wanted name has been seen. Malformed XML -> MetadataError.
    """
    _refuse_declarations(data, source)
    want = set(wanted)
    seen: set[str] = set()
    depth = 0
    # A pull parser fed in chunks, not `iterparse`: how far iterparse reads ahead of the events it
    # yields depends on the lxml release (6.2 parses the whole buffer first), and a syntax error
    # after the wanted elements must not hide them. Events parsed before an error stay readable.
    parser = etree.XMLPullParser(
        events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )
    for offset in range(0, max(len(data), 1), _STREAM_CHUNK):
        error: etree.XMLSyntaxError | None = None
        try:
            parser.feed(data[offset: offset + _STREAM_CHUNK])
            if offset + _STREAM_CHUNK >= len(data):
                parser.close()
        except etree.XMLSyntaxError as exc:
            error = exc
        for event, item in parser.read_events():
            if event == "start":
                depth += 1
                continue
            elem = cast(etree._Element, item)  # start/end events carry elements
            depth -= 1
            if depth != 1:
                continue
            name = local_name(elem)
            if name in want:
                seen.add(name)
                yield name, (elem.text or "").strip()
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
            if seen >= want:
                return
        if error is not None:
            raise _syntax_error(error, source) from None


_STREAM_CHUNK = 64 * 1024


# --- reading -------------------------------------------------------------------------------

def local_name(el: etree._Element) -> str:
    """`{ns}name` -> `name`; "" for comments and processing instructions."""
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def child_text(el: etree._Element, name: str) -> str | None:
    """Stripped text of the first direct child with local name `name` (any namespace), None
    when there is no such child (an empty one gives "")."""
    for child in el:
        if local_name(child) == name:
            return (child.text or "").strip()
    return None


# --- normalization -------------------------------------------------------------------------


def _qualify(root: etree._Element, name: str) -> str:
    ns = etree.QName(root).namespace
    return f"{{{ns}}}{name}" if ns else name


def canonical_text(el: etree._Element) -> str:
    """An element's text as sfenv writes it: independent of the input's whitespace."""
    out: list[str] = []
    _write(el, 0, el.nsmap, out)
    return "\n".join(out)


def sort_list(parent: etree._Element, name: str, key: str) -> None:
    """Sort the `name` children of `parent` in place, keeping the positions they occupy.

    Order: by the text of their `key` child (or canonical text when no key), ties by
    canonical text, so two orgs listing the same items in any order give the same bytes.
    """
    _sort_lists(parent, {_qualify(parent, name): key})


def _sort_lists(parent: etree._Element, keys_by_tag: dict[str, str]) -> None:
    """Sort, per tag of `keys_by_tag`, the children of `parent` with that tag among the slots
    they occupy. Linear in the number of children (plus the sort): the children are listed once
    and, when an order changed, put back in one slice assignment. lxml's `parent[i]`, `insert`
    and `remove` walk the sibling list, so a loop of them is quadratic on a 37k-entry profile."""
    children = list(parent)
    slots: dict[str, list[int]] = {}
    for i, c in enumerate(children):
        if c.tag in keys_by_tag:
            slots.setdefault(c.tag, []).append(i)
    changed = False
    for tag, positions in slots.items():
        if len(positions) < 2:
            continue
        key = keys_by_tag[tag]
        items = [children[i] for i in positions]
        if key:
            key_tag = tag.rsplit("}", 1)[0] + "}" + key if tag[0] == "{" else key
            keyed = [((el.findtext(key_tag) or ""), el) for el in items]
            keys = [k for k, _ in keyed]
            if len(set(keys)) != len(keys):
                keyed.sort(key=lambda p: (p[0], canonical_text(p[1])))
            else:
                keyed.sort(key=lambda p: p[0])
            ordered = [el for _, el in keyed]
        else:
            ordered = sorted(items, key=canonical_text)
        if all(a is b for a, b in zip(ordered, items, strict=True)):
            continue
        changed = True
        for pos, el in zip(positions, ordered, strict=True):
            children[pos] = el
    if changed:
        parent[:] = children


def sort_unordered(root: etree._Element, mtype: MetadataType) -> None:
    """Sort every list `mtype` marks unordered (nested "a/b" paths first)."""
    by_parent: dict[tuple[str, ...], dict[str, str]] = {}
    for path in mtype.unordered:
        *parents, name = path.split("/")
        by_parent.setdefault(tuple(parents), {})[_qualify(root, name)] = mtype.sort_key_of(path)
    for parents in sorted(by_parent, key=lambda p: -len(p)):
        holders = [root]
        for step in parents:
            holders = [c for h in holders for c in h if local_name(c) == step]
        for holder in holders:
            _sort_lists(holder, by_parent[parents])


def is_xml_path(path: str, mtype: MetadataType | None) -> bool:
    """True for files sfenv normalizes as XML: -meta.xml files and XML-strategy component files."""
    if path.endswith("-meta.xml"):
        return True
    return mtype is not None and mtype.strategy == "xml"


def canonicalize(path: str, data: bytes, registry: Registry) -> bytes:
    """Canonical bytes of a metadata file: XML parsed, unordered lists sorted, written back."""
    cid = registry.component_of(path)
    mtype = registry.find(cid.type) if cid else None
    if not is_xml_path(path, mtype):
        return data
    root = parse_xml(data, path)
    if mtype is not None:
        sort_unordered(root, mtype)
    return write_xml(root)
