import time

import pytest

from sfenv.core.metadata.components import (
    Piece,
    component_pieces,
    compose_file,
    keep_children,
    split_file,
)
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.xmlio import canonicalize
from sfenv.errors import MetadataError

C = ComponentId


@pytest.fixture
def account(fixtures):
    return (fixtures / "roundtrip" / "Account.object").read_bytes()


def test_split_object_gives_parent_and_one_piece_per_child(registry, account):
    pieces = split_file("objects/Account.object", account, registry)
    ids = [p.id for p in pieces]
    assert ids[0] == C("CustomObject", "Account") and pieces[0].parent is None
    assert set(ids[1:]) == {
        C("CustomField", "Account.Parent_Account__c"), C("CustomField", "Account.Region__c"),
        C("CustomField", "Account.Score__c"), C("ListView", "Account.AllAccounts"),
        C("RecordType", "Account.Partner"), C("ValidationRule", "Account.Region_Required"),
        C("WebLink", "Account.Open_Map")}
    assert all(p.parent == C("CustomObject", "Account") for p in pieces[1:])
    assert b"<fields>" not in pieces[0].xml and b"<sharingModel>ReadWrite" in pieces[0].xml


def test_equal_children_give_equal_bytes_whatever_their_file(registry, account):
    region = next(p for p in split_file("objects/Account.object", account, registry)
                  if p.id.full_name == "Account.Region__c")
    alone = compose_file("CustomObject", [region.xml], None, registry)
    again = next(p for p in split_file("objects/Account.object", alone, registry)
                 if p.id.full_name == "Account.Region__c")
    assert again.xml == region.xml
    assert region.xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<fields xmlns=')


@pytest.mark.parametrize("name, path", [
    ("Account.object", "objects/Account.object"),
    ("CustomLabels.labels", "labels/CustomLabels.labels"),
    ("Case.sharingRules", "sharingRules/Case.sharingRules"),
    ("Account.workflow", "workflows/Account.workflow"),
])
def test_split_then_compose_gives_the_canonical_file(registry, fixtures, name, path):
    data = (fixtures / "roundtrip" / name).read_bytes()
    pieces = split_file(path, data, registry)
    assert len(pieces) > 1
    type_name = pieces[0].id.type
    composed = compose_file(type_name, [p.xml for p in reversed(pieces[1:])], pieces[0].xml, registry)
    assert composed == canonicalize(path, data, registry)


def test_custom_labels_are_not_parent_qualified(registry, fixtures):
    data = (fixtures / "roundtrip" / "CustomLabels.labels").read_bytes()
    ids = {p.id for p in split_file("labels/CustomLabels.labels", data, registry)}
    assert C("CustomLabel", "Greeting") in ids and C("CustomLabel", "Goodbye") in ids


def test_sharing_and_workflow_children_are_parent_qualified(registry, fixtures):
    rules = {p.id for p in split_file(
        "sharingRules/Case.sharingRules", (fixtures / "roundtrip" / "Case.sharingRules").read_bytes(), registry)}
    assert C("SharingCriteriaRule", "Case.Share_Escalated") in rules
    assert C("SharingOwnerRule", "Case.Managers_See_All") in rules
    wf = {p.id for p in split_file(
        "workflows/Account.workflow", (fixtures / "roundtrip" / "Account.workflow").read_bytes(), registry)}
    assert {C("WorkflowFieldUpdate", "Account.Set_Region_West"), C("WorkflowRule", "Account.West_Accounts")} <= wf


def test_keep_children_leaves_only_the_requested_field(registry, account):
    out = keep_children("objects/Account.object", account, {C("CustomField", "Account.Region__c")}, registry)
    ids = [p.id for p in split_file("objects/Account.object", out, registry)]
    assert ids == [C("CustomObject", "Account"), C("CustomField", "Account.Region__c")]
    assert b"<sharingModel>ReadWrite</sharingModel>" in out  # the object's own settings stay
    assert out.index(b"<externalSharingModel>") < out.index(b"<fields>") < out.index(b"<sharingModel>")


def test_keep_children_with_the_whole_object_keeps_everything(registry, account):
    out = keep_children("objects/Account.object", account, {C("CustomObject", "Account")}, registry)
    assert out == canonicalize("objects/Account.object", account, registry)


def test_compose_without_parent_builds_a_minimal_file_in_salesforce_order(registry, account):
    pieces = {p.id: p for p in split_file("objects/Account.object", account, registry)}
    out = compose_file("CustomField", [pieces[C("ValidationRule", "Account.Region_Required")].xml,
                                       pieces[C("CustomField", "Account.Region__c")].xml], None, registry)
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns=')
    assert out.index(b"<fields>") < out.index(b"<validationRules>")


def test_compose_rejects_elements_that_are_not_children(registry):
    with pytest.raises(MetadataError, match="not a child element of CustomObject"):
        compose_file("CustomObject", [b"<label xmlns='http://soap.sforce.com/2006/04/metadata'>x</label>"],
                     None, registry)


def test_child_without_full_name_is_reported_with_its_line(registry):
    data = (b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">\n'
            b"    <fields>\n        <label>x</label>\n    </fields>\n</CustomObject>\n")
    with pytest.raises(MetadataError, match=r"objects/A\.object:3: <fields> without <fullName>"):
        split_file("objects/A.object", data, registry)


def test_component_pieces_covers_xml_content_and_bundle_components(registry, account):
    files = {
        "objects/Account.object": account,
        "classes/Foo.cls": b"public class Foo {}",
        "classes/Foo.cls-meta.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata"><apiVersion>60.0</apiVersion></ApexClass>',
        "lwc/card/card.js": b"export default class Card {}",
        "lwc/card/card.js-meta.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<LightningComponentBundle xmlns="http://soap.sforce.com/2006/04/metadata"><isExposed>true</isExposed></LightningComponentBundle>',
        "package.xml": b"<Package/>",
    }
    pieces = component_pieces(files, registry)
    assert C("CustomField", "Account.Region__c") in pieces
    foo = pieces[C("ApexClass", "Foo")]
    assert isinstance(foo, Piece) and b"<apiVersion>60.0</apiVersion>" in foo.xml
    assert dict(foo.files)["classes/Foo.cls"] == b"public class Foo {}"
    card = pieces[C("LightningComponentBundle", "card")]
    assert [p for p, _ in card.files] == ["lwc/card/card.js", "lwc/card/card.js-meta.xml"]


def _object_with(n: int) -> bytes:
    fields = "".join(
        f"    <fields>\n        <fullName>F{i:03d}__c</fullName>\n        <label>F {i}</label>\n"
        f"        <length>80</length>\n        <type>Text</type>\n    </fields>\n" for i in reversed(range(n)))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">\n'
            f"{fields}    <label>Big</label>\n</CustomObject>\n").encode()


def test_split_time_grows_linearly_with_the_number_of_fields(registry):
    # A ratio measured in the same run (robust to a busy machine), plus a loose absolute guard;
    # on an idle machine a 500-field split takes about 15 ms (see the metadata report).
    small, big = _object_with(50), _object_with(500)
    assert len(split_file("objects/Big__c.object", big, registry)) == 501
    t_small = min(_cpu(lambda: split_file("objects/Big__c.object", small, registry)) for _ in range(7))
    t_big = min(_cpu(lambda: split_file("objects/Big__c.object", big, registry)) for _ in range(7))
    assert t_big < 20 * max(t_small, 1e-4), f"50 fields {t_small * 1000:.1f} ms, 500 fields {t_big * 1000:.1f} ms"
    assert t_big < 0.25, f"split of 500 fields took {t_big * 1000:.1f} ms of CPU"


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start
