"""Role and OWD extraction from metadata files, read as little and as safely as possible."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import iter_top_level
from sfenv.errors import MetadataError
from sfenv.services.report.sfxml import (
    object_name_of,
    owd_from_xml,
    role_from_xml,
    role_name_of,
)

NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
REGISTRY = default_registry()


def test_role_label_and_parent_come_from_name_and_parentrole():
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Role {NS}>
    <caseAccessLevel>Edit</caseAccessLevel>
    <name>VP, North American Sales &amp; Ops</name>
    <parentRole>SVPSalesMarketing</parentRole>
</Role>
""".encode()
    role = role_from_xml("VPNA", xml, "roles/VPNA.role", REGISTRY)
    assert (role.name, role.label, role.parent) == ("VPNA", "VP, North American Sales & Ops",
                                                   "SVPSalesMarketing")


def test_top_role_has_no_parent_and_falls_back_to_its_file_name_for_label():
    role = role_from_xml("CEO", f"<Role {NS}><description>x</description></Role>".encode(), "r",
                         REGISTRY)
    assert role.parent is None and role.label == "CEO"


def test_owd_reads_internal_and_external_sharing_model():
    xml = f"""<CustomObject {NS}>
    <enableFeeds>true</enableFeeds>
    <externalSharingModel>Private</externalSharingModel>
    <fields><fullName>Region__c</fullName><sharingModel>Bogus</sharingModel></fields>
    <sharingModel>ReadWrite</sharingModel>
</CustomObject>""".encode()
    owd = owd_from_xml(xml, "objects/Account.object")
    assert (owd.internal, owd.external) == ("ReadWrite", "Private")


def test_owd_absent_elements_give_none():
    owd = owd_from_xml(f"<CustomObject {NS}><label>X</label></CustomObject>".encode(), "o")
    assert owd.internal is None and owd.external is None


def test_streaming_stops_once_both_elements_are_seen():
    # Everything after the two elements is malformed: a full parse would fail, streaming stops first.
    xml = (f"<CustomObject {NS}><externalSharingModel>Read</externalSharingModel>"
           "<sharingModel>Private</sharingModel><fields><broken></CustomObject>").encode()
    assert owd_from_xml(xml, "o").internal == "Private"


def test_streaming_handles_a_large_object_file():
    fields = "".join(f"<fields><fullName>F{i}__c</fullName><length>80</length></fields>"
                     for i in range(20000))
    xml = (f"<CustomObject {NS}><externalSharingModel>Read</externalSharingModel>{fields}"
           "<sharingModel>Private</sharingModel></CustomObject>").encode()
    assert list(iter_top_level(xml, "o", ["sharingModel"])) == [("sharingModel", "Private")]


@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "boom">]><CustomObject><sharingModel>&x;</sharingModel></CustomObject>',
    b'<!DOCTYPE r SYSTEM "http://example.invalid/x.dtd"><CustomObject/>',
])
def test_hostile_object_files_are_refused_with_the_file_named(doc):
    with pytest.raises(MetadataError, match="objects/Evil.object:1"):
        owd_from_xml(doc, "objects/Evil.object")


def test_hostile_role_file_is_refused():
    with pytest.raises(MetadataError, match="roles/Evil.role"):
        role_from_xml("Evil", b'<!DOCTYPE r [<!ENTITY x "y">]><Role><name>&x;</name></Role>',
                      "roles/Evil.role", REGISTRY)


def test_malformed_object_file_names_file_and_line():
    with pytest.raises(MetadataError, match=r"objects/Bad.object:2"):
        owd_from_xml(b"<CustomObject>\n<label>x</lab></CustomObject>", "objects/Bad.object")


def test_paths_select_only_top_level_role_and_object_files():
    assert role_name_of("roles/CEO.role", REGISTRY) == "CEO"
    assert role_name_of("roles/sub/CEO.role", REGISTRY) is None
    assert role_name_of("objects/CEO.role", REGISTRY) is None
    assert object_name_of("objects/Property__c.object", REGISTRY) == "Property__c"
    assert object_name_of("objectTranslations/Account-en_US.objectTranslation", REGISTRY) is None
    assert object_name_of("objects/Account.object-meta.xml", REGISTRY) is None


def test_canonical_object_files_give_what_streaming_gives():
    from sfenv.core.metadata.xmlio import parse_xml, write_xml

    fields = "".join(f"<fields><fullName>F{i}__c</fullName><sharingModel>Nested</sharingModel>"
                     f"<label>F &amp; {i}</label></fields>" for i in range(300))
    for tail in ("<sharingModel>ReadWrite</sharingModel>",
                 "<externalSharingModel>Read</externalSharingModel>"
                 "<sharingModel>ControlledByParent</sharingModel>",
                 "<sharingModel>Read&amp;Write</sharingModel>", ""):
        raw = f"<CustomObject {NS}>{fields}<label>X</label>{tail}</CustomObject>".encode()
        canonical = write_xml(parse_xml(raw, "o"))
        assert canonical.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject')
        streamed = dict(iter_top_level(canonical, "o", ("sharingModel", "externalSharingModel")))
        owd = owd_from_xml(canonical, "objects/X.object")
        assert (owd.internal, owd.external) == (streamed.get("sharingModel") or None,
                                                streamed.get("externalSharingModel") or None)
    assert owd_from_xml(canonical, "o").internal is None
