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
import threading
from collections import Counter
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




_LOCAL = threading.local()


def _thread_parser() -> etree.XMLParser:
    """This thread's `hardened_parser` for `parse_xml`. Building one per call was about a
    third of parsing a component's piece (a 60k plan parses 412,000); a parser must not be
    shared between threads, one parse after another on the same thread is fine."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = hardened_parser()
    return parser


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
        root = etree.fromstring(data, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source) from None
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise MetadataError(f"{source}:1: {exc}") from None
    # lxml-stubs 0.5.1 leaves DocInfo.doctype out; lxml has it (a str, "" without a DOCTYPE)
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
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


def escape_text(text: str) -> str:
    """Element text escaped as `write_xml` writes it (for writers of known shapes)."""
    return _escape(text)


def _name(qname: str, nsmap: dict[str | None, str]) -> str:
    """`{ns}local` -> `local` (default namespace) or `prefix:local`."""
    if qname[0] != "{":
        return qname
    ns, local = qname[1:].split("}", 1)
    for prefix, uri in nsmap.items():
        if uri == ns:
            return local if prefix is None else f"{prefix}:{local}"
    return local


def _start_tag(el: etree._Element,
               declared: dict[str | None, str]) -> tuple[str, dict[str | None, str]]:
    nsmap = el.nsmap
    parts = [_name(el.tag, nsmap)]
    if nsmap != declared:
        for prefix, uri in nsmap.items():
            if declared.get(prefix) != uri:
                attr = "xmlns" if prefix is None else f"xmlns:{prefix}"
                parts.append(f'{attr}="{_escape(uri)}"')
    for key, value in el.attrib.items():
        # lxml-stubs 0.5.1 types attribute names and values as str | bytes; lxml gives str
        parts.append(f'{_name(key, nsmap)}="{_escape(value)}"')  # type: ignore[arg-type]
    return " ".join(parts), nsmap


def _write(el: etree._Element, depth: int, declared: dict[str | None, str], out: list[str]) -> None:
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


def _lists_by_parent(root: etree._Element, mtype: MetadataType) -> dict[tuple[str, ...], dict[str, str]]:
    """`mtype`'s unordered lists grouped by the path of their holder: {("a",): {"{ns}b": key}}."""
    by_parent: dict[tuple[str, ...], dict[str, str]] = {}
    for path in mtype.unordered:
        *parents, name = path.split("/")
        by_parent.setdefault(tuple(parents), {})[_qualify(root, name)] = mtype.sort_key_of(path)
    return by_parent


def _sort_holders(root: etree._Element, by_parent: dict[tuple[str, ...], dict[str, str]]) -> None:
    for parents in sorted(by_parent, key=lambda p: -len(p)):
        holders = [root]
        for step in parents:
            holders = [c for h in holders for c in h if local_name(c) == step]
        for holder in holders:
            _sort_lists(holder, by_parent[parents])


def sort_unordered(root: etree._Element, mtype: MetadataType) -> None:
    """Sort every list `mtype` marks unordered (nested "a/b" paths first)."""
    _sort_holders(root, _lists_by_parent(root, mtype))


# --- the fast path of canonicalize ----------------------------------------------------------
# A 100,000-entry profile spends most of its time writing and sorting in Python, one element
# at a time. For the common shape (every element in the root's default namespace, no
# attributes, comments or mixed content) lxml's C serializer plus a few byte replacements
# gives exactly `write_xml`'s bytes, and the top-level lists are then sorted as byte pieces
# of that output (`canontext.top_level`), keyed by their key line. Any other shape takes the
# tree path; both give the same bytes (tests/unit/metadata/test_canonical_fast.py).

_TOP = re.compile(rb"\n(?=    <[A-Za-z])")  # before each top-level start tag
_TOP_NAME = re.compile(rb"\n    <([A-Za-z][^\s/>]*)")  # its name, one per piece of _TOP.split
_ENTITIES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"), (b"&amp;", b"&"))
_SHAPE = "count(//*) != count(//s:*) or boolean(//@* | //*[*]/text()[normalize-space()])"
_SHAPES: dict[str, etree.XPath] = {}  # compiled per namespace (one in practice)


def _not_plain(root: etree._Element, namespace: str) -> bool:
    """True when an element is outside `namespace`, has attributes, or has mixed content."""
    check = _SHAPES.get(namespace)
    if check is None:
        check = _SHAPES[namespace] = etree.XPath(_SHAPE, namespaces={"s": namespace})
    return bool(check(root))


def _write_scratch(root: etree._Element) -> bytes | None:
    """`write_xml(root)` by lxml's serializer, or None when the tree is not of the shape the two
    write alike. Rewrites the whitespace text and tails of `root` (which `write_xml` ignores),
    so only for a tree the caller parsed itself; a parsed tree has no "" texts, which lxml
    would write `<a></a>`."""
    tag = root.tag
    if tag.__class__ is not str or tag[0] != "{" or not len(root) or root.getparent() is not None \
            or root.getprevious() is not None or root.getnext() is not None:
        return None
    default = tag[1:tag.index("}")]
    if root.nsmap != {None: default} or _escape(default) != default:
        return None
    if next(root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity), None) is not None:
        return None
    if _not_plain(root, default):
        return None
    etree.indent(root, space=INDENT)
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=False, with_tail=False)
    cut = data.index(b">") + 1
    body = data[cut:]
    if b" xmlns" in body:  # a namespace declared again below the root (write_xml drops it)
        return None
    # write_xml escapes quotes in text and writes a carriage return as itself
    body = body.replace(b'"', b"&quot;").replace(b"'", b"&apos;").replace(b"&#13;", b"\r")
    return DECLARATION.encode() + b"\n" + data[:cut] + body + b"\n"


def _key_pattern(key: bytes) -> re.Pattern[bytes]:
    """The first direct child `key` of one top-level element written canonically (its direct
    children are the lines eight spaces in): group 1 its text (None for `<key/>`), group 2 its
    closing tag (None when the key element has children)."""
    name = re.escape(key)
    return re.compile(rb"\n {8}<" + name + rb"(?:/>|>([^<]*)(</" + name + rb">)?)")


def _keys(pieces: list[bytes], key: bytes) -> list[bytes] | None:
    """`findtext(key) or ""` of each piece, unescaped; None when a key element has children."""
    values: list[bytes] = []
    add = values.append
    for m in map(_key_pattern(key).search, pieces):
        if m is None:
            add(b"")
            continue
        value, closed = m.group(1, 2)
        if value is None:
            add(b"")
        elif closed is None:
            return None
        elif b"&" in value:
            for entity, char in _ENTITIES:
                value = value.replace(entity, char)
            add(value)
        else:
            add(value)
    return values


def _piece_text(text: bytes, namespace: str) -> bytes:
    """canonical_text of one top-level element given as its canonical bytes (for ties only)."""
    wrapped = b'<r xmlns="' + namespace.encode() + b'">\n' + text + b"\n</r>"
    return canonical_text(parse_xml(wrapped, "tie")[0]).encode()


def _sort_text(data: bytes, keys: dict[bytes, bytes], namespace: str) -> bytes | None:
    """Sort top-level lists (name -> key element) of `_write_scratch`'s output among the slots
    they occupy, as `_sort_lists` sorts them in a tree; None when a key is not a leaf.

    Each top-level element starts a line four spaces in; deeper lines are indented more and text
    holds no `<`, so splitting before those lines cuts exactly between top-level elements."""
    parts = _TOP.split(data)
    names = _TOP_NAME.findall(data)
    cut = parts[-1].rfind(b"\n</")  # the root's closing tag, the one line at column 0
    if len(names) != len(parts) - 1 or len(parts) < 2 or cut < 0:
        return None
    head, texts = parts[0], parts[1:]
    texts[-1], tail = texts[-1][:cut], texts[-1][cut:]
    slots: dict[bytes, list[int]] = {name: [] for name in keys}
    for i, name in enumerate(names):
        held = slots.get(name)
        if held is not None:
            held.append(i)
    for name, positions in slots.items():
        if len(positions) < 2:
            continue
        pieces = [texts[i] for i in positions]
        values = _keys(pieces, keys[name])
        if values is None:
            return None
        if len(set(values)) == len(values):
            order = sorted(range(len(pieces)), key=values.__getitem__)
        else:  # equal keys: then by canonical text, as the tree sort does
            counts = Counter(values)
            ties = [_piece_text(p, namespace) if counts[v] > 1 else b""
                    for p, v in zip(pieces, values, strict=True)]
            order = sorted(range(len(pieces)), key=lambda j: (values[j], ties[j]))
        for pos, j in zip(positions, order, strict=True):
            texts[pos] = pieces[j]
    return head + b"\n" + b"\n".join(texts) + tail


def _canonical(root: etree._Element, mtype: MetadataType | None) -> bytes:
    """canonicalize's bytes of a tree it parsed: through the C serializer and a byte-level sort
    of the top-level lists where the shape allows, else sorted in the tree and `write_xml`."""
    by_parent = _lists_by_parent(root, mtype) if mtype is not None else {}
    top = by_parent.pop((), {})
    keyed = {name: key for name, key in top.items() if key}
    rest: dict[str, str] = {name: key for name, key in top.items() if not key}
    if rest:
        by_parent[()] = rest
    _sort_holders(root, by_parent)  # nested lists and text-keyed top-level ones, in the tree
    data = _write_scratch(root)
    if data is not None and not keyed:
        return data
    namespace = etree.QName(root).namespace or ""
    out = None if data is None else _sort_text(
        data, {local.rsplit("}", 1)[-1].encode(): key.encode() for local, key in keyed.items()},
        namespace)
    if out is None:
        _sort_holders(root, {(): keyed})
        return write_xml(root)
    return out


def is_xml_path(path: str, mtype: MetadataType | None) -> bool:
    """True for files sfenv normalizes as XML: -meta.xml files and XML-strategy component files."""
    if path.endswith("-meta.xml"):
        return True
    return mtype is not None and mtype.handler.compares_elements


def canonicalize(path: str, data: bytes, registry: Registry) -> bytes:
    """Canonical bytes of a metadata file: XML parsed, unordered lists sorted, written back."""
    cid = registry.component_of(path)
    mtype = registry.find(cid.type) if cid else None
    if not is_xml_path(path, mtype):
        return data
    return _canonical(parse_xml(data, path), mtype)
