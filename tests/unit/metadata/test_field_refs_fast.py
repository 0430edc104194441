"""A custom field naming none of the elements its reference handler reads needs only its object,
answered without parsing it (115,000 fields of a 60k plan were parsed for that; issue 24). The
answer is the parsing path's, and a field that names something still gets it."""

from __future__ import annotations

import pytest

from sfenv.core.metadata import references
from sfenv.core.metadata.components import Piece
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.references import Reference, named_references
from sfenv.core.metadata.xmlio import parse_xml

C = ComponentId
HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<fields xmlns="http://soap.sforce.com/2006/04/metadata">\n'
PLAIN = HEAD + b"    <fullName>Region__c</fullName>\n    <label>Region</label>\n    <length>80</length>\n    <type>Text</type>\n</fields>\n"
FORMULA = HEAD + b"    <fullName>Score__c</fullName>\n    <formula>Region__c &amp; Owner__r.Name</formula>\n    <type>Text</type>\n</fields>\n"
LOOKUP = HEAD + b"    <fullName>Parent__c</fullName>\n    <referenceTo>Invoice__c</referenceTo>\n    <type>Lookup</type>\n</fields>\n"


def slow(piece: Piece) -> list[Reference]:
    """What the handler finds by parsing (the reference answer)."""
    own = {piece.id, C("CustomField", piece.id.full_name)}
    return [r for r in references._custom_field(piece, parse_xml(piece.xml, "t")).items
            if r.component not in own]


def test_a_plain_field_needs_its_object_without_a_parse(monkeypatch):
    piece = Piece(C("CustomField", "Account.Region__c"), C("CustomObject", "Account"), PLAIN)
    expected = slow(piece)
    monkeypatch.setattr(references, "parse_xml", lambda *a: pytest.fail("parsed"))
    assert named_references(piece) == expected == [Reference("", C("CustomObject", "Account"))]


@pytest.mark.parametrize("name, xml, needs", [
    ("Account.Score__c", FORMULA, {"CustomField:Account.Region__c", "CustomField:Account.Owner__c"}),
    ("Account.Parent__c", LOOKUP, {"CustomObject:Invoice__c"}),
])
def test_a_field_naming_components_still_needs_them(name, xml, needs):
    piece = Piece(C("CustomField", name), C("CustomObject", "Account"), xml)
    got = named_references(piece)
    assert got == slow(piece)
    assert needs <= {str(r.component) for r in got}
