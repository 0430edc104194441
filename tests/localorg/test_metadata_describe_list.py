"""describeMetadata, listMetadata, readMetadata and session checks, through handle()."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.registry import default_registry

from .md_support import Client_, Fault, make_org, zeep_parse


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path))


def test_unknown_session_is_an_invalid_session_fault(client):
    status, body = client.raw("describeMetadata", "<met:asOfVersion>60.0</met:asOfVersion>",
                              session="00Dbogus!nope")
    assert status == 500
    assert b"<soapenv:Fault>" in body and b"sf:INVALID_SESSION_ID" in body
    with pytest.raises(Fault) as err:
        zeep_parse("describeMetadata", status, body)
    assert "Invalid Session ID found in SessionHeader: Illegal Session" in err.value.message


def test_describe_lists_registry_types_with_their_children_and_folders(client):
    result = client.describe()
    by_name = {o.xmlName: o for o in result.metadataObjects}
    expected = {t.name for t in default_registry().all() if t.strategy != "folder"}
    assert set(by_name) == expected
    assert "CustomField" in by_name["CustomObject"].childXmlNames
    assert by_name["Report"].inFolder is True and by_name["Report"].directoryName == "reports"
    assert by_name["ApexClass"].metaFile is True and by_name["ApexClass"].suffix == "cls"
    assert "ReportFolder" not in by_name
    assert result.partialSaveAllowed is True and result.testRequired is False


def test_list_metadata_gives_file_properties_with_key_prefixed_ids(client):
    result = client.list(("ApexClass", None), ("Role", None))
    by_name = {(r.type, r.fullName): r for r in result}
    assert set(by_name) == {("ApexClass", "Foo"), ("ApexClass", "FooTest"), ("Role", "CEO"),
                            ("Role", "VP_Sales")}
    foo = by_name[("ApexClass", "Foo")]
    assert foo.fileName == "classes/Foo.cls"
    assert foo.id.startswith("01p") and len(foo.id) == 18
    assert by_name[("Role", "CEO")].id.startswith("00E")
    assert foo.lastModifiedByName == client.org.admin.name
    assert foo.lastModifiedDate.year >= 2024 and foo.manageableState == "unmanaged"


def test_list_metadata_child_type_lists_qualified_names_in_the_parent_file(client):
    result = client.list(("CustomField", None))
    names = {(r.fullName, r.fileName) for r in result}
    assert ("Account.Region__c", "objects/Account.object") in names
    assert ("Invoice__c.Amount__c", "objects/Invoice__c.object") in names
    assert all(r.id.startswith("00N") for r in result)


def test_list_metadata_folder_query_and_folders_themselves(client):
    reports = client.list(("Report", "Sales"))
    assert [(r.fullName, r.fileName) for r in reports] == [("Sales/Pipeline",
                                                            "reports/Sales/Pipeline.report")]
    folders = client.list(("ReportFolder", None))
    assert [(r.fullName, r.fileName, r.id[:3]) for r in folders] == [("Sales", "reports/Sales", "00l")]


def test_list_metadata_refuses_more_than_three_queries(client):
    status, body = client.raw("listMetadata", "".join(
        f"<met:queries><met:type>{t}</met:type></met:queries>"
        for t in ("ApexClass", "Role", "Group", "Queue")) + "<met:asOfVersion>60.0</met:asOfVersion>")
    assert status == 500
    with pytest.raises(Fault) as err:
        zeep_parse("listMetadata", status, body)
    assert "limit is: 3" in err.value.message


def test_list_metadata_unknown_type_is_an_invalid_type_fault(client):
    status, body = client.raw("listMetadata", "<met:queries><met:type>Nope</met:type></met:queries>"
                              "<met:asOfVersion>60.0</met:asOfVersion>")
    assert status == 500 and b"sf:INVALID_TYPE" in body
    with pytest.raises(Fault):
        zeep_parse("listMetadata", status, body)


def test_list_metadata_uses_dates_recorded_in_org_state(client):
    user = client.org.admin
    client.org.touch_components(["ApexClass:Foo"], user, when="2025-03-04T05:06:07.000Z")
    foo = next(r for r in client.list(("ApexClass", None)) if r.fullName == "Foo")
    assert foo.lastModifiedDate.isoformat().startswith("2025-03-04T05:06:07")


@pytest.mark.parametrize("type_name,name,field,value", [
    ("Role", "VP_Sales", "parentRole", "CEO"),
    ("Group", "Sales_Team", "doesIncludeBosses", True),
    ("Queue", "Support", "name", "Support"),
    ("CustomObject", "Invoice__c", "label", "Invoice"),
])
def test_read_metadata_returns_typed_records(client, type_name, name, field, value):
    result = client.call("readMetadata", f"<met:type>{type_name}</met:type>"
                         f"<met:fullNames>{name}</met:fullNames>")
    [record] = result  # zeep unwraps ReadResult to its records
    assert type(record).__name__ == type_name
    assert record.fullName == name
    assert getattr(record, field) == value


def test_read_metadata_skips_missing_names(client):
    status, body = client.raw("readMetadata", "<met:type>Role</met:type>"
                              "<met:fullNames>Nope</met:fullNames>")
    assert status == 200
    assert not zeep_parse("readMetadata", status, body)
