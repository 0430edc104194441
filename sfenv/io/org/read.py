"""readMetadata: named components of one type as records (nothing in sfenv reads with it
today; kept so the client offers every call it had).

Without the WSDL's type of each metadata type, a field reads as a list only when it
repeats in the answer; booleans and numbers stay text."""

from __future__ import annotations

from typing import Any

from lxml import etree

from sfenv.io.org.soap import Shape, add, envelope, q, results

_SHAPE = Shape()


def request(session_id: str, type_name: str, full_names: list[str]) -> etree._Element:
    root, op = envelope(session_id, "readMetadata")
    add(op, "type", type_name)
    for name in full_names:
        add(op, "fullNames", name)
    return root


def read(root: etree._Element) -> list[dict[str, Any]]:
    """The records found (a name the org lacks comes back as a record without fullName,
    and is left out)."""
    out = []
    for result in results(root, "readMetadata"):
        for record in result.iterfind(q("records")):
            row = _SHAPE.record(record)
            if row.get("fullName"):
                out.append(row)
    return out
