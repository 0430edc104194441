"""listMetadata: the components of up to three types (or folders) per call."""

from __future__ import annotations

from typing import Any

from lxml import etree

from sfenv.io.org.soap import add, envelope, q

MAX_QUERIES = 3  # Salesforce's limit per call


def request(session_id: str, queries: list[dict[str, Any]], api_version: str) -> etree._Element:
    if len(queries) > MAX_QUERIES:
        raise ValueError(f"listMetadata takes at most {MAX_QUERIES} queries")
    root, op = envelope(session_id, "listMetadata")
    for query in queries:
        node = etree.SubElement(op, q("queries"))
        if query.get("folder"):
            add(node, "folder", str(query["folder"]))
        add(node, "type", str(query["type"]))
    add(op, "asOfVersion", api_version)
    return root


def describe(queries: list[dict[str, Any]]) -> str:
    """`listMetadata(Report/Sales, ApexClass)`: what an error message names."""
    names = ", ".join(q_["type"] + (f"/{q_['folder']}" if q_.get("folder") else "")
                      for q_ in queries)
    return f"listMetadata({names})"
