"""Small helpers to read Metadata API requests and build responses in the WSDL's shapes.

Responses use the metadata namespace as default namespace (as Salesforce does), so a body
element is `<describeMetadataResponse><result>...`. Values are written the way the WSDL types
expect them: booleans `true`/`false`, dateTimes `2024-01-01T00:00:00.000Z`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from sfenv.core.metadata.xmlio import child_text as xml_child_text
from sfenv.core.metadata.xmlio import local_name as local

MD_NS = "http://soap.sforce.com/2006/04/metadata"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: MD_NS, "xsi": XSI_NS}


def q(tag: str) -> str:
    """Qualified name in the metadata namespace."""
    return f"{{{MD_NS}}}{tag}"


def text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def el(tag: str, *children: etree._Element, nsmap: Mapping | None = None) -> etree._Element:
    node = etree.Element(q(tag), nsmap=nsmap) if nsmap else etree.Element(q(tag))
    for child in children:
        node.append(child)
    return node


def add(parent: etree._Element, tag: str, value: Any = None) -> etree._Element:
    """Append `<tag>value</tag>`; None values are skipped (optional WSDL elements)."""
    node = etree.SubElement(parent, q(tag))
    if value is not None:
        node.text = text_value(value)
    return node


def add_fields(parent: etree._Element, fields: Iterable[tuple[str, Any]]) -> etree._Element:
    """Append simple fields in the given (WSDL sequence) order, skipping None values."""
    for tag, value in fields:
        if value is None:
            continue
        if isinstance(value, list):
            for item in value:
                add(parent, tag, item)
        else:
            add(parent, tag, value)
    return parent


def response(operation: str, *results: etree._Element) -> etree._Element:
    """`<{operation}Response>` holding the given `<result>` elements."""
    node = etree.Element(q(f"{operation}Response"), nsmap=NSMAP)
    for result in results:
        node.append(result)
    return node


def result_el() -> etree._Element:
    return etree.Element(q("result"))


# ---- reading requests -------------------------------------------------------------------


def children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str) and local(c) == name]


def child(node: etree._Element, name: str) -> etree._Element | None:
    found = children(node, name)
    return found[0] if found else None


def child_text(node: etree._Element, name: str, default: str | None = None) -> str | None:
    """The stripped text of the first child `name`; `default` when there is none."""
    text = xml_child_text(node, name)
    return default if text is None else text


def child_texts(node: etree._Element, name: str) -> list[str]:
    return [(c.text or "").strip() for c in children(node, name)]


def parse_bool(value: str | None, default: bool = False) -> bool:
    """xsd:boolean, also accepting Python's `True`/`False` (simple-salesforce formats them so)."""
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return default


def child_bool(node: etree._Element, name: str, default: bool = False) -> bool:
    return parse_bool(child_text(node, name), default)
