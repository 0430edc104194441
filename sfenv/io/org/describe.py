"""describeMetadata: the metadata types the org knows (one call per pull)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from sfenv.core.metadata.xmlio import local_name
from sfenv.io.org.soap import add, envelope, q, results

_LIST_FIELDS = {"childXmlNames"}  # fields that repeat
_BOOL_FIELDS = {"inFolder", "metaFile"}


def request(session_id: str, api_version: str) -> etree._Element:
    root, op = envelope(session_id, "describeMetadata")
    add(op, "asOfVersion", api_version)
    return root


def read(root: etree._Element) -> list[dict[str, Any]]:
    """The metadataObjects, one dict each: `childXmlNames` a list (empty when absent),
    `inFolder`/`metaFile` booleans, the rest text."""
    out = []
    for result in results(root, "describeMetadata"):
        for item in result.iterfind(q("metadataObjects")):
            row: dict[str, Any] = {name: [] for name in _LIST_FIELDS}
            for child in item:
                name, text = local_name(child), child.text or ""
                if name in _LIST_FIELDS:
                    row[name].append(text)
                elif name in _BOOL_FIELDS:
                    row[name] = text.strip().lower() == "true"
                else:
                    row[name] = text
            out.append(row)
    return out
