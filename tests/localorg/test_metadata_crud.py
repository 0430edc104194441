"""The Metadata API's CRUD calls and the operations Salesforce no longer accepts, parsed with
simple-salesforce's WSDL as a client does (#25)."""

from __future__ import annotations

import pytest
from zeep.exceptions import Fault

from sfenv.localorg.mdapi import api as metadata_api

from .md_support import Client_, envelope, folder_files, make_org

ROLE = ('<met:metadata xsi:type="met:Role" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<met:fullName>{name}</met:fullName><met:name>{label}</met:name>"
        "<met:parentRole>CEO</met:parentRole></met:metadata>")
FIELD = ('<met:metadata xsi:type="met:CustomField" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
         "<met:fullName>Account.Fleet__c</met:fullName><met:label>Fleet</met:label>"
         "<met:length>40</met:length><met:type>Text</met:type></met:metadata>")


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path))


def _results(reply) -> list:
    return reply if isinstance(reply, list) else [reply]


def test_create_writes_the_component_and_refuses_a_duplicate(client):
    [created] = _results(client.call("createMetadata",
                                     ROLE.format(name="Director", label="Director")))
    assert (created.fullName, created.success) == ("Director", True)
    data = folder_files(client.org.metadata_dir)["roles/Director.role"]
    assert b"<parentRole>CEO</parentRole>" in data and b"<fullName>" not in data
    assert client.org.component_props("Role:Director")["lastModifiedByName"] == \
        client.org.admin.name
    [again] = _results(client.call("createMetadata",
                                   ROLE.format(name="Director", label="Director")))
    assert again.success is False and again.errors[0].statusCode == "DUPLICATE_DEVELOPER_NAME"


def test_update_changes_an_existing_component_and_refuses_a_missing_one(client):
    [updated] = _results(client.call("updateMetadata", ROLE.format(name="VP_Sales",
                                                                   label="VP of Sales")))
    assert updated.success is True
    assert b"<name>VP of Sales</name>" in folder_files(client.org.metadata_dir)[
        "roles/VP_Sales.role"]
    [missing] = _results(client.call("updateMetadata", ROLE.format(name="Nobody", label="x")))
    assert missing.success is False
    assert missing.errors[0].statusCode == "INVALID_CROSS_REFERENCE_KEY"
    assert "no Role named Nobody found" in missing.errors[0].message


def test_upsert_says_whether_it_created(client):
    results = _results(client.call("upsertMetadata",
                                   ROLE.format(name="VP_Sales", label="VP")
                                   + ROLE.format(name="Intern", label="Intern")))
    assert [(r.fullName, r.success, r.created) for r in results] == [
        ("VP_Sales", True, False), ("Intern", True, True)]


def test_a_custom_field_is_created_inside_its_object_file(client):
    [created] = _results(client.call("createMetadata", FIELD))
    assert created.success is True, created.errors
    data = folder_files(client.org.metadata_dir)["objects/Account.object"]
    assert b"<fullName>Fleet__c</fullName>" in data and b"<fullName>Region__c</fullName>" in data


def test_content_types_are_refused(client):
    apex = ('<met:metadata xsi:type="met:ApexClass" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<met:fullName>Bar</met:fullName><met:apiVersion>60.0</met:apiVersion>"
            "</met:metadata>")
    [refused] = _results(client.call("createMetadata", apex))
    assert refused.success is False and refused.errors[0].statusCode == "INVALID_TYPE"


def test_delete_and_rename(client):
    [deleted] = _results(client.call("deleteMetadata", "<met:type>Group</met:type>"
                                     "<met:fullNames>Sales_Team</met:fullNames>"))
    assert deleted.success is True
    assert "groups/Sales_Team.group" not in folder_files(client.org.metadata_dir)
    [gone] = _results(client.call("deleteMetadata", "<met:type>Group</met:type>"
                                  "<met:fullNames>Sales_Team</met:fullNames>"))
    assert gone.success is False and gone.errors[0].statusCode == "INVALID_CROSS_REFERENCE_KEY"
    renamed = client.call("renameMetadata", "<met:type>Queue</met:type>"
                          "<met:oldFullName>Support</met:oldFullName>"
                          "<met:newFullName>Helpdesk</met:newFullName>")
    assert _results(renamed)[0].success is True
    files = folder_files(client.org.metadata_dir)
    assert "queues/Helpdesk.queue" in files and "queues/Support.queue" not in files


def test_more_than_ten_items_is_refused(client):
    items = "".join(ROLE.format(name=f"R{i}", label=f"R{i}") for i in range(11))
    with pytest.raises(Fault, match="LIMIT_EXCEEDED"):
        client.call("createMetadata", items)


def test_check_status_is_not_in_any_served_wsdl(client):
    """checkStatus was removed in API 31.0 and Salesforce retired 30.0 and earlier: a real
    org answers with the SOAP client fault for an operation its WSDL lacks."""
    job = client.retrieve({"ApexClass": ["Foo"]})
    status, body = client.raw("checkStatus", f"<met:ids>{job}</met:ids>")
    assert status == 500
    assert b"<faultcode>soapenv:Client</faultcode>" in body
    assert (b"No operation available for request {http://soap.sforce.com/2006/04/metadata}"
            b"checkStatus, please check the WSDL for the service.") in body
    assert b"INVALID_OPERATION" not in body


def test_a_version_salesforce_no_longer_serves_is_refused(client):
    body = envelope(client.session, "<met:describeMetadata><met:asOfVersion>30.0"
                    "</met:asOfVersion></met:describeMetadata>")
    status, payload = metadata_api.handle(client.org, body, "30.0")
    assert status == 500 and b"UNSUPPORTED_API_VERSION" in payload
    status, _ = metadata_api.handle(client.org, body, "68.0")
    assert status == 200
