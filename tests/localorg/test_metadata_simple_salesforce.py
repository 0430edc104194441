"""The Metadata API over HTTPS with simple-salesforce's own helpers and zeep client."""

from __future__ import annotations

import io
import zipfile

import pytest
from simple_salesforce import Salesforce

from .md_support import ORG_FILES, package, write_files, xml


@pytest.fixture
def org_sf(local_org, tmp_path):
    data = tmp_path / "org"
    write_files(data, ORG_FILES)
    org = local_org.start(data=data)
    sf = Salesforce(instance_url=org.instance_url, session_id=org.access_token,
                    session=local_org.session(org), version="62.0")
    # simple-salesforce's zeep client has its own HTTP session: trust the org's CA there too
    sf.mdapi._client.transport.session = local_org.session(org)
    return org, sf


def test_describe_and_list_with_the_zeep_client(org_sf):
    _org, sf = org_sf
    described = sf.mdapi.describe_metadata()
    assert "CustomObject" in {o.xmlName for o in described.metadataObjects}
    query = sf.mdapi._client.get_type("ns0:ListMetadataQuery")
    listed = sf.mdapi.list_metadata([query(type="ApexClass"), query(type="Report", folder="Sales"),
                                     query(type="CustomField")])
    names = {(r.type, r.fullName) for r in listed}
    assert {("ApexClass", "Foo"), ("Report", "Sales/Pipeline"),
            ("CustomField", "Account.Region__c")} <= names


def test_read_metadata_with_the_zeep_client(org_sf):
    _org, sf = org_sf
    role = sf.mdapi.Role.read(["VP_Sales"])
    assert (role.fullName, role.parentRole) == ("VP_Sales", "CEO")


def test_retrieve_with_the_string_helper(org_sf):
    _org, sf = org_sf
    job_id, state = sf.mdapi.retrieve("ignored", unpackaged={"ApexClass": ["Foo"],
                                                             "CustomField": ["Account.Region__c"]},
                                      single_package=False)
    assert state == "Queued"
    status = None
    for _ in range(5):
        status, error, messages = sf.mdapi.check_retrieve_status(job_id)
        if status in ("Succeeded", "Failed"):
            break
    assert (status, error, messages) == ("Succeeded", None, [])
    status, _error, _messages, data = sf.mdapi.retrieve_zip(job_id)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {"unpackaged/classes/Foo.cls", "unpackaged/objects/Account.object"} <= names


def test_retrieve_through_zeep_escapes_member_names(org_sf):
    _org, sf = org_sf
    service, client = sf.mdapi._service, sf.mdapi._client
    header = sf.mdapi._session_header
    request = client.get_type("ns0:RetrieveRequest")(
        apiVersion=62.0, singlePackage=True,
        unpackaged={"types": [{"members": ["R&D <x>"], "name": "Role"}], "version": "62.0"})
    job = service.retrieve(request, _soapheaders=[header])
    for _ in range(5):
        result = service.checkRetrieveStatus(job.id, True, _soapheaders=[header])
        if result.done:
            break
    assert result.status == "Succeeded"
    assert [m.problem for m in result.messages] == [
        "Entity of type 'Role' named 'R&D <x>' cannot be found"]


def test_deploy_with_the_string_helper_then_retrieve_round_trip(org_sf, tmp_path):
    org, sf = org_sf
    cls = b"public class Bar {}\n"
    meta = xml("ApexClass", "    <apiVersion>62.0</apiVersion>\n    <status>Active</status>")
    zip_path = tmp_path / "deploy.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("package.xml", package({"ApexClass": ["Bar"]}))
        zf.writestr("classes/Bar.cls", cls)
        zf.writestr("classes/Bar.cls-meta.xml", meta)
    job_id, state = sf.mdapi.deploy(str(zip_path), sandbox=True, testLevel="RunLocalTests")
    assert state == "Queued"
    for _ in range(5):
        status, _detail, deployed, tests = sf.mdapi.check_deploy_status(job_id)
        if status in ("Succeeded", "Failed"):
            break
    assert status == "Succeeded", deployed
    assert (deployed["deployed_count"], tests["total_count"]) == ("1", "1")
    assert (org.data_dir / "classes/Bar.cls").read_bytes() == cls
    job_id, _ = sf.mdapi.retrieve("x", unpackaged={"ApexClass": ["Bar"]}, single_package=True)
    while sf.mdapi.check_retrieve_status(job_id)[0] not in ("Succeeded", "Failed"):
        pass
    files = zipfile.ZipFile(io.BytesIO(sf.mdapi.retrieve_zip(job_id)[3]))
    assert files.read("classes/Bar.cls") == cls and files.read("classes/Bar.cls-meta.xml") == meta


def test_failed_deploy_reports_component_errors_to_the_helper(org_sf, tmp_path):
    org, sf = org_sf
    zip_path = tmp_path / "bad.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("package.xml", package({"Role": ["Ops"]}))
        zf.writestr("roles/Ops.role", xml("Role", "    <name>Ops</name>\n"
                                          "    <parentRole>Nobody</parentRole>"))
    job_id, _ = sf.mdapi.deploy(str(zip_path), sandbox=True)
    for _ in range(5):
        status, _detail, deployed, _tests = sf.mdapi.check_deploy_status(job_id)
        if status in ("Succeeded", "Failed"):
            break
    assert status == "Failed"
    assert deployed["errors"] == [{"type": "Role", "file": "roles/Ops.role", "status": "Error",
                                   "message": "In field: parentRole - no Role named Nobody found"}]
    assert not (org.data_dir / "roles/Ops.role").exists()


def test_injected_unknown_exception_reaches_the_helper_as_a_failed_retrieve(org_sf):
    org, sf = org_sf
    org.faults.configure(unknown_exception_members={"ApexClass:Foo"})
    job_id, _ = sf.mdapi.retrieve("x", unpackaged={"ApexClass": ["Foo"]})
    for _ in range(5):
        status, error, _messages = sf.mdapi.check_retrieve_status(job_id)
        if status in ("Succeeded", "Failed"):
            break
    assert status == "Failed" and error.startswith("An unexpected error occurred")
