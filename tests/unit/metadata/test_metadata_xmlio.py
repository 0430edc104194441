import pytest
from lxml import etree

from sfenv.core.metadata.xmlio import NS, canonicalize, parse_xml, write_xml
from sfenv.errors import MetadataError


def _roundtrip_files(fixtures):
    return sorted(p for p in (fixtures / "roundtrip").iterdir())


def test_salesforce_written_files_round_trip_byte_identical(fixtures):
    files = _roundtrip_files(fixtures)
    assert files
    for path in files:
        data = path.read_bytes()
        assert write_xml(parse_xml(data, path.name)) == data, path.name


def test_reference_examples_round_trip_byte_identical(shared_reference):
    examples = [p for p in (shared_reference / "examples").iterdir() if p.suffix != ".md"]
    for path in examples:
        data = path.read_bytes()
        assert write_xml(parse_xml(data, path.name)) == data, path.name


def test_write_uses_salesforce_escaping_indentation_and_empty_tags():
    root = etree.Element(f"{{{NS}}}CustomLabels", nsmap={None: NS})
    labels = etree.SubElement(root, f"{{{NS}}}labels")
    etree.SubElement(labels, f"{{{NS}}}value").text = "a & b < c > d \"e\" 'f' é"
    etree.SubElement(labels, f"{{{NS}}}shortDescription")
    assert write_xml(root) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<CustomLabels xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        "    <labels>\n"
        "        <value>a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos; é</value>\n"
        "        <shortDescription/>\n"
        "    </labels>\n"
        "</CustomLabels>\n").encode()


def test_reindented_input_is_written_in_salesforce_layout():
    data = (b'<?xml version="1.0" encoding="UTF-8"?><Role xmlns="http://soap.sforce.com/2006/04/metadata">'
            b"<caseAccessLevel>Edit</caseAccessLevel>\r\n  <name>CEO</name></Role>")
    assert write_xml(parse_xml(data, "r")) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<Role xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <caseAccessLevel>Edit</caseAccessLevel>\n    <name>CEO</name>\n</Role>\n")


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Role xmlns="http://soap.sforce.com/2006/04/metadata"><name>&xxe;</name></Role>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_entity_and_doctype_attacks_are_rejected_with_file_and_line(data):
    with pytest.raises(MetadataError, match=r"^evil\.xml:2: DOCTYPE"):
        parse_xml(data, "evil.xml")


def test_undeclared_entity_is_rejected():
    with pytest.raises(MetadataError, match=r"^x\.role:1: "):
        parse_xml(b"<Role><name>&nope;</name></Role>", "x.role")


@pytest.mark.parametrize("data, line", [
    (b"", 1),
    (b'<?xml version="1.0"?>\n<Role>\n  <name>CEO</nam>\n</Role>', 3),
    (b"<Role><name>x</name>", 1),
])
def test_malformed_xml_names_source_and_line(data, line):
    with pytest.raises(MetadataError, match=rf"^roles/CEO\.role:{line}: "):
        parse_xml(data, "roles/CEO.role")


def test_canonicalize_sorts_only_unordered_lists(fixtures, registry):
    base = fixtures / "canonical"
    cases = [p for p in (base / "from").rglob("*") if p.is_file()]
    assert len(cases) >= 3
    for src in cases:
        rel = src.relative_to(base / "from").as_posix()
        expected = (base / "expected" / rel).read_bytes()
        assert canonicalize(rel, src.read_bytes(), registry) == expected, rel
        # canonical form is a fixed point
        assert canonicalize(rel, expected, registry) == expected, rel


def test_canonicalize_keeps_picklist_value_order(fixtures, registry):
    data = (fixtures / "roundtrip" / "Account.object").read_bytes()
    out = canonicalize("objects/Account.object", data, registry)
    assert out.index(b"<fullName>West</fullName>") < out.index(b"<fullName>East</fullName>")


def test_canonicalize_is_independent_of_input_order(fixtures, registry):
    src = (fixtures / "canonical" / "from" / "profiles" / "Sales.profile").read_bytes()
    root = parse_xml(src, "p")
    children = list(root)
    for el in children:
        root.remove(el)
    for el in reversed(children):
        root.append(el)
    shuffled = write_xml(root)
    assert shuffled != src
    # element groups in reverse order: lists are sorted within their own slots
    a = canonicalize("profiles/Sales.profile", src, registry)
    b = canonicalize("profiles/Sales.profile", shuffled, registry)
    assert sorted(a.splitlines()) == sorted(b.splitlines())


def test_canonicalize_leaves_non_xml_content_unchanged(registry):
    apex = b"public class Foo {\r\n  // & < >\r\n}"
    assert canonicalize("classes/Foo.cls", apex, registry) is apex
    js = b"import { LightningElement } from 'lwc';"
    assert canonicalize("lwc/a/a.js", js, registry) is js


def test_canonicalize_rewrites_meta_files(registry):
    meta = (b'<?xml version="1.0" encoding="UTF-8"?><ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">'
            b"<apiVersion>60.0</apiVersion><status>Active</status></ApexClass>")
    assert canonicalize("classes/Foo.cls-meta.xml", meta, registry) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <apiVersion>60.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n")
