"""Canonical XML read as text: the top-level elements of a file `write_xml` wrote, and each
one's own canonical bytes without serialising it again.

A canonical file (`sfenv.core.metadata.xmlio.write_xml`) has the declaration, the root line with
its namespace, each top-level element starting a line at exactly four spaces, four more per
level, `<tag/>` for empty elements, full escaping in text, no comments, CDATA or attributes
below the root. An element cut from such a file is, dedented by four spaces and with the
namespace on its first tag, exactly what `write_xml` gives for it alone: splitting a file
into pieces then needs no serialisation. Every shape this is not proven for (text spanning
lines, another indentation, attributes, character references, unescaped quotes...) is left
to the caller's parse + write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

HEAD = re.compile(
    rb'<\?xml version="1\.0" encoding="UTF-8"\?>\n<([A-Za-z][\w.-]*) xmlns="([^"<>&]*)">\n')
_TOP = re.compile(rb"\n(?=    <[A-Za-z])")  # before each top-level start tag
_NAME_END = re.compile(rb"[\s/>]")
# one line of a canonical element: an opening tag, a closing tag, a leaf with text, or empty
_LINE = re.compile(rb"( *)(?:<([\w.:-]+)>|</([\w.:-]+)>|<([\w.:-]+)>[^<\n]+</\4>|<[\w.:-]+/>)")
_BAD_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")
# the common shapes of `_exact` in one match run in C: an element of leaves (a field
# permission, most fields), leaves and blocks of leaves one level down, or one leaf line; the
# text of a leaf holds no quote, CR, `>` or `<`, and `&` only as the escapes `write_xml` writes.
# A text it matches passes each of `_exact`'s checks (this also checks closing names); any
# other text still goes through them and the line loop.
_TEXT = rb"(?:[^<>&\n\r\"']|&(?:amp|lt|gt|quot|apos);)+"
_LEAF8 = rb"        (?:<([\w.:-]+)>" + _TEXT + rb"</\2>|<[\w.:-]+/>)\n"
_LEAF12 = rb"            (?:<([\w.:-]+)>" + _TEXT + rb"</\4>|<[\w.:-]+/>)\n"
_BLOCK8 = rb"        <([\w.:-]+)>\n(?:" + _LEAF12 + rb")+        </\3>\n"
_SHALLOW = re.compile(rb"    <([\w.:-]+)>\n(?:" + _LEAF8 + rb"|" + _BLOCK8 + rb")+    </\1>"
                      rb"|    (?:<([\w.:-]+)>" + _TEXT + rb"</\5>|<[\w.:-]+/>)")


def top_level(data: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes] | None:
    """A canonical file as (head, [(element name, element text)], tail), or None when it is
    not in the shape this reader is exact for (each element must end with its own closing
    tag, or be one line ending in `/>`)."""
    head = HEAD.match(data)
    if head is None or b"<!--" in data or b"<![CDATA[" in data:
        return None
    parts = _TOP.split(data)
    if len(parts) < 2:
        return None
    close = b"\n</" + head.group(1) + b">"
    last = parts[-1]
    cut = last.rfind(close)
    if cut < 0 or last[cut + len(close):] not in (b"", b"\n"):
        return None
    parts[-1], tail = last[:cut], last[cut:]
    elements = []
    for text in parts[1:]:
        end = _NAME_END.search(text, 5)
        if end is None:
            return None
        name = text[5:end.start()]
        if not (text.endswith(b"</" + name + b">") or (b"\n" not in text and text.endswith(b"/>"))):
            return None
        elements.append((name, text))
    return parts[0], elements, tail


def _exact(text: bytes) -> bool:
    """True when `text` (one top-level element, four spaces in) is laid out exactly as
    `write_xml` writes it: each line one tag or one leaf, indented four spaces per level,
    no text spanning lines, escaping as `write_xml` escapes."""
    return _SHALLOW.fullmatch(text) is not None or _checked(text)


def _checked(text: bytes) -> bool:
    """`_exact` for any depth: the escaping checks, then the layout line by line."""
    if (b'"' in text or b"'" in text or b"\r" in text or b"<?" in text or b"<!" in text
            or text.count(b"<") != text.count(b">") or _BAD_AMP.search(text)):
        return False
    depth = 1
    opened = False
    for line in text.split(b"\n"):
        m = _LINE.fullmatch(line)
        if m is None:
            return False
        pad = len(m.group(1))
        if m.group(2):  # opening tag of an element with children
            if pad != 4 * depth:
                return False
            depth += 1
            opened = True
        elif m.group(3):  # its closing tag: never straight after the opening (blank text)
            depth -= 1
            if opened or pad != 4 * depth:
                return False
        else:
            if pad != 4 * depth:
                return False
            opened = False
    return depth == 1


def element_texts(data: bytes, root: etree._Element) -> dict[etree._Element, bytes]:
    """`write_xml(el)` for the root's children `el` whose text in `data` is provably that,
    read from `data` (parsed as `root`, not yet changed). Children not found here are to be
    written by the caller; {} when `data` is not a canonical file."""
    found = top_level(data)
    if found is None:
        return {}
    head, elements, _ = found
    children: Sequence[etree._Element] = list(root)
    if len(children) != len(elements):
        return {}
    namespace = HEAD.match(head + b"\n")
    if namespace is None or b"'" in namespace.group(2):
        return {}
    xmlns = b' xmlns="' + namespace.group(2) + b'"'
    start = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    out: dict[etree._Element, bytes] = {}
    for el, (name, text) in zip(children, elements, strict=True):
        tag = el.tag
        if tag.__class__ is not str or tag.rsplit("}", 1)[-1].encode() != name:
            return {}  # not the element this text is: trust nothing of this file
        if _exact(text):
            cut = 5 + len(name)
            out[el] = start + b"<" + name + xmlns + text[cut:].replace(b"\n    ", b"\n") + b"\n"
    return out
