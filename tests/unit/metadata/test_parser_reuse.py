"""`parse_xml` keeps one hardened parser per thread (a parser per call was a third of parsing a
small piece; issue 24). Reusing it must not carry anything from one document to the next, nor
be shared between threads, nor loosen the hardening."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.errors import MetadataError

GOOD = b'<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata"><label>A</label></CustomObject>'


def test_an_error_names_its_own_line_and_leaves_the_next_parse_clean():
    with pytest.raises(MetadataError, match=r"^bad\.object:3: "):
        parse_xml(b"<a>\n<b>\n</a>", "bad.object")
    assert local_name(parse_xml(GOOD, "good.object")) == "CustomObject"
    with pytest.raises(MetadataError, match=r"^other\.object:1: "):
        parse_xml(b"<a></b>", "other.object")
    assert parse_xml(GOOD, "good.object")[0].text == "A"


def test_entities_and_doctypes_are_still_refused_after_a_good_parse():
    parse_xml(GOOD, "good.object")
    with pytest.raises(MetadataError, match="not allowed"):
        parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "evil.object")
    with pytest.raises(MetadataError, match=r"^evil2\.object:1: "):  # undefined: refused
        parse_xml(b"<a>&x;</a>", "evil2.object")
    assert parse_xml(GOOD, "good.object")[0].text == "A"


def test_threads_parse_at_the_same_time_each_its_own_document():
    docs = [f"<r><n>{i}</n>{'<x>y</x>' * 200}</r>".encode() for i in range(400)]

    def first_text(data: bytes) -> str | None:
        return parse_xml(data, "t.xml")[0].text

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(first_text, docs)) == [str(i) for i in range(400)]
