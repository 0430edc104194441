"""Component XML as plain dicts, so that rule conditions and templates read `new.sharingModel`.

Parsing goes through the hardened `sfenv.core.metadata.xmlio.parse_xml` (no entities, no DTD, no
network; MetadataError naming the source and line). Conversion: an element with children
becomes a dict keyed by local name, a repeated child a list, a leaf its text ("" when empty).
"""

from __future__ import annotations

from lxml import etree

from sfenv.core.metadata.xmlio import local_name, parse_xml

# Component XML as data: a leaf's text, a repeated element's list, an element's dict.
XmlValue = str | list["XmlValue"] | dict[str, "XmlValue"]


def element_to_dict(el: etree._Element) -> XmlValue:
    children = [c for c in el if isinstance(c.tag, str)]
    if not children:
        return (el.text or "").strip()
    out: dict[str, XmlValue] = {}
    for child in children:
        key = local_name(child)
        value = element_to_dict(child)
        if key in out:
            seen = out[key]
            if isinstance(seen, list):
                seen.append(value)
            else:
                out[key] = [seen, value]
        else:
            out[key] = value
    return out


def xml_dict(data: bytes | None, source: str) -> dict[str, XmlValue]:
    """The component's XML as a dict (`{}` for no XML or non-XML content such as Apex source)."""
    if not data:
        return {}
    stripped = data.lstrip()
    if not stripped.startswith(b"<"):
        return {}
    root = parse_xml(data, source)
    value = element_to_dict(root)
    return value if isinstance(value, dict) else {"_text": value}


def aslist(value: XmlValue | None) -> list[XmlValue]:
    """A repeated element is a list, a single one a dict/str, an absent one None: always a list."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


def dig(data: XmlValue | None, dotted: str) -> XmlValue | None:
    """`dig(d, "nameField.type")`; None when any step is missing."""
    cur = data
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur
