"""canonicalize writes through lxml's C serializer and sorts top-level lists as byte pieces
when a file has the plain shape (the 100,000-entry profile in under a second, issue 24); every
other shape takes the tree path. Both must give the same bytes: each case here is compared with
the tree path (`sort_unordered` + `write_xml`), the reference sfenv wrote before."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import canonicalize, parse_xml, sort_unordered, write_xml

NS = "http://soap.sforce.com/2006/04/metadata"


def tree_path(path: str, data: bytes) -> bytes:
    registry = default_registry()
    cid = registry.component_of(path)
    mtype = registry.find(cid.type) if cid else None
    root = parse_xml(data, path)
    if mtype is not None:
        sort_unordered(root, mtype)
    return write_xml(root)


def profile(body: str, root_attrs: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><Profile xmlns="{NS}"{root_attrs}>'
            f"{body}</Profile>").encode()


def fp(field: str, editable: str = "true", extra: str = "") -> str:
    return (f"<fieldPermissions><editable>{editable}</editable><field>{field}</field>{extra}"
            "<readable>true</readable></fieldPermissions>")


CASES = {
    "shuffled with other elements between": profile(
        fp("B.b") + "<custom>false</custom>" + fp("A.a") + "<userLicense>Salesforce</userLicense>"
        + fp("C.c") + "<classAccesses><apexClass>Z</apexClass><enabled>true</enabled></classAccesses>"
        + "<classAccesses><apexClass>Y</apexClass><enabled>true</enabled></classAccesses>"),
    "equal keys ordered by the whole entry": profile(
        fp("A.a", "true") + fp("A.a", "false") + fp("B.b") + fp("A.a", "false")),
    "escaped keys sort by their text": profile(
        fp("a&amp;b") + fp("a&lt;b") + fp("a'b") + fp('a"b') + fp("a&gt;b") + fp("ab")),
    "quotes, apostrophes, > and a carriage return in text": profile(
        fp("A.a", extra="<note>it's \"x\" &gt; y&#13;z</note>") + fp("B.b")),
    "non-ASCII keys": profile(fp("Ø.ø") + fp("Å.å") + fp("Z.z") + fp("Æ.æ")),
    "a missing, an empty and a multi-line key": profile(
        "<fieldPermissions><editable>true</editable></fieldPermissions>"
        + "<fieldPermissions><field/><editable>true</editable></fieldPermissions>"
        + fp("a\n    b") + fp("A.a")),
    "a key element with children": profile(
        "<fieldPermissions><field><x>B</x></field></fieldPermissions>"
        + "<fieldPermissions><field><x>A</x></field></fieldPermissions>" + fp("C.c")),
    "a sibling whose name starts with the key's": profile(
        "<fieldPermissions><fieldX>Z</fieldX><field>B</field></fieldPermissions>"
        + "<fieldPermissions><fieldX>A</fieldX><field>A</field></fieldPermissions>"),
    "whitespace-only leaf text kept": profile(
        fp("B.b") + "<description>   </description>" + fp("A.a")),
    "a comment": profile(fp("B.b") + "<!-- kept? -->" + fp("A.a")),
    "an attribute": profile(fp("B.b") + '<custom a="1">false</custom>' + fp("A.a")),
    "another namespace below the root": profile(
        fp("B.b") + '<x:custom xmlns:x="urn:x">false</x:custom>' + fp("A.a")),
    "the default namespace declared again": profile(
        fp("B.b") + f'<custom xmlns="{NS}">false</custom>' + fp("A.a")),
    "mixed content": profile(fp("B.b") + "<custom>a<b>c</b>tail</custom>" + fp("A.a")),
    "text in the root": profile("loose" + fp("B.b") + fp("A.a")),
    "CDATA": profile(fp("B.b", extra="<note><![CDATA[a < b & 'c']]></note>") + fp("A.a")),
    "xsi attributes on the root": profile(
        fp("B.b") + fp("A.a"),
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="x"'),
    "indented input": profile("\n    " + fp("B.b").replace("><", ">\n        <") + "\n    "
                              + fp("A.a") + "\n"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_and_tree_paths_write_the_same_bytes(name):
    data = CASES[name]
    assert canonicalize("profiles/Admin.profile", data, default_registry()) == \
        tree_path("profiles/Admin.profile", data)


def test_a_nested_unordered_list_is_sorted_before_the_top_level_ones():
    data = (f'<?xml version="1.0" encoding="UTF-8"?><CustomObject xmlns="{NS}">'
            "<recordTypes><fullName>B</fullName><picklistValues><picklist>P</picklist>"
            "</picklistValues><picklistValues><picklist>A</picklist></picklistValues></recordTypes>"
            "<label>X</label>"
            "<recordTypes><fullName>A</fullName></recordTypes></CustomObject>").encode()
    out = canonicalize("objects/X__c.object", data, default_registry())
    assert out == tree_path("objects/X__c.object", data)
    text = out.decode()
    assert text.index("<fullName>A</fullName>") < text.index("<fullName>B</fullName>")
    assert text.index("<picklist>A</picklist>") < text.index("<picklist>P</picklist>")


def test_a_file_of_no_known_type_is_written_unchanged_in_content():
    data = b"<?xml version='1.0'?><Package xmlns=\"urn:x\"><b>1</b><a>it's</a></Package>"
    out = canonicalize("package.xml-meta.xml", data, default_registry())
    assert out == tree_path("package.xml-meta.xml", data)
    assert b"<a>it&apos;s</a>" in out
