"""retrieve + checkRetrieveStatus through handle(): async states, zip content, messages, limits."""

from __future__ import annotations

import base64
import zipfile

import pytest

from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.registry import default_registry

from .md_support import ORG_FILES, Client_, make_org, read_zip


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path))


def test_retrieve_is_asynchronous_until_done(client):
    job_id = client.retrieve({"ApexClass": ["Foo"]})
    first = client.check_retrieve(job_id)
    assert (first.done, first.status, first.success) == (False, "InProgress", False)
    second = client.check_retrieve(job_id)
    assert (second.done, second.status, second.success) == (True, "Succeeded", True)
    again = client.check_retrieve(job_id)
    assert again.zipFile == second.zipFile


def test_retrieve_zip_holds_unpackaged_files_and_package_xml(client):
    result = client.retrieve_done({"ApexClass": ["Foo"], "LightningComponentBundle": ["*"]})
    files = read_zip(result.zipFile)
    assert set(files) == {"unpackaged/package.xml", "unpackaged/classes/Foo.cls",
                          "unpackaged/classes/Foo.cls-meta.xml", "unpackaged/lwc/hello/hello.js",
                          "unpackaged/lwc/hello/hello.html", "unpackaged/lwc/hello/hello.js-meta.xml"}
    assert files["unpackaged/classes/Foo.cls"] == ORG_FILES["classes/Foo.cls"]
    assert b"<members>Foo</members>" in files["unpackaged/package.xml"]
    names = {(p.type, p.fullName, p.fileName) for p in result.fileProperties}
    assert ("ApexClass", "Foo", "unpackaged/classes/Foo.cls") in names
    assert ("LightningComponentBundle", "hello", "unpackaged/lwc/hello") in names


def test_single_package_retrieve_has_files_at_the_root(client):
    result = client.retrieve_done({"Role": ["*"]}, single_package=True)
    assert set(read_zip(result.zipFile)) == {"package.xml", "roles/CEO.role", "roles/VP_Sales.role"}


def test_missing_member_is_a_message_not_a_failure(client):
    result = client.retrieve_done({"ApexClass": ["Foo", "Nope"]})
    assert result.status == "Succeeded"
    assert [(m.fileName, m.problem) for m in result.messages] == [
        ("unpackaged/package.xml", "Entity of type 'ApexClass' named 'Nope' cannot be found")]
    assert "unpackaged/classes/Foo.cls" in read_zip(result.zipFile)


def test_folder_members_and_the_folder_itself(client):
    result = client.retrieve_done({"Report": ["Sales", "Sales/Pipeline"]})
    assert set(read_zip(result.zipFile)) == {
        "unpackaged/package.xml", "unpackaged/reports/Sales-meta.xml",
        "unpackaged/reports/Sales/Pipeline.report"}


def test_report_wildcard_takes_only_unfiled_reports(client):
    result = client.retrieve_done({"Report": ["*"]})
    assert set(read_zip(result.zipFile)) == {"unpackaged/package.xml",
                                             "unpackaged/reports/unfiled$public/Open_Cases.report"}


def test_child_member_retrieve_returns_parent_file_with_only_that_child(client):
    result = client.retrieve_done({"CustomField": ["Account.Region__c"]})
    files = read_zip(result.zipFile)
    data = files["unpackaged/objects/Account.object"]
    ids = {str(p.id) for p in split_file("objects/Account.object", data, default_registry())}
    assert "CustomField:Account.Region__c" in ids
    assert "CustomField:Account.Tier__c" not in ids
    assert "RecordType:Account.Partner" not in ids
    assert b"sharingModel" not in data   # only the children asked for, not the object's settings
    assert ids == {"CustomObject:Account", "CustomField:Account.Region__c"}
    assert ("CustomField", "Account.Region__c") in {(p.type, p.fullName) for p in result.fileProperties}


def test_whole_object_retrieve_keeps_every_child(client):
    result = client.retrieve_done({"CustomObject": ["Account"], "CustomField": ["Account.Region__c"]})
    data = read_zip(result.zipFile)["unpackaged/objects/Account.object"]
    assert b"Tier__c" in data and b"Partner" in data


def test_profile_holds_only_permissions_for_components_in_the_same_retrieve(client):
    alone = read_zip(client.retrieve_done({"Profile": ["Admin"]}).zipFile)
    profile = alone["unpackaged/profiles/Admin.profile"]
    assert b"fieldPermissions" not in profile and b"classAccesses" not in profile
    assert b"ViewSetup" in profile  # its own settings stay
    both = read_zip(client.retrieve_done({"Profile": ["Admin"], "ApexClass": ["Foo"],
                                          "CustomField": ["Account.Region__c"]}).zipFile)
    profile = both["unpackaged/profiles/Admin.profile"]
    assert b"<apexClass>Foo</apexClass>" in profile
    assert b"Account.Region__c" in profile and b"Account.Tier__c" not in profile


def test_permission_sets_come_back_whole(client):
    files = read_zip(client.retrieve_done({"PermissionSet": ["Ops"]}).zipFile)
    assert files["unpackaged/permissionsets/Ops.permissionset"] == ORG_FILES[
        "permissionsets/Ops.permissionset"]


def test_unknown_type_is_a_message_on_package_xml(client):
    result = client.retrieve_done({"Nope": ["X"], "Role": ["CEO"]})
    assert result.status == "Succeeded"
    assert ("unpackaged/package.xml", "Entity type: 'Nope' is unknown") in {
        (m.fileName, m.problem) for m in result.messages}


def test_injected_unknown_exception_fails_the_whole_retrieve(client):
    client.org.faults.configure(unknown_exception_members={"ApexClass:Foo"})
    result = client.retrieve_done({"ApexClass": ["Foo"], "Role": ["*"]})
    assert (result.status, result.success, result.errorStatusCode) == ("Failed", False,
                                                                        "UNKNOWN_EXCEPTION")
    assert result.errorMessage.startswith("An unexpected error occurred")
    assert client.org.faults.counters.get("unknown_exception") == 1


def test_injected_truncated_zip_is_not_a_readable_zip(client):
    client.org.faults.configure(truncate_zip=True)
    result = client.retrieve_done({"Role": ["*"]})
    assert client.org.faults.counters.get("truncated_zip") == 1
    assert result.status == "Succeeded"
    with pytest.raises(zipfile.BadZipFile):
        read_zip(result.zipFile)


def test_retrieve_past_ten_thousand_files_fails_with_limit_exceeded(tmp_path):
    classes = tmp_path / "classes"
    classes.mkdir()
    meta = ORG_FILES["classes/Foo.cls-meta.xml"]
    for i in range(5001):  # 5,001 classes = 10,002 files (content + meta)
        (classes / f"C{i}.cls").write_bytes(b"public class C {}")
        (classes / f"C{i}.cls-meta.xml").write_bytes(meta)
    client = Client_(make_org(tmp_path, {}))
    result = client.retrieve_done({"ApexClass": ["*"]})
    assert (result.status, result.errorStatusCode) == ("Failed", "LIMIT_EXCEEDED")
    assert "limit is: 10000" in result.errorMessage
    assert not result.zipFile


def test_check_retrieve_without_zip_omits_the_content(client):
    job_id = client.retrieve({"Role": ["*"]})
    client.check_retrieve(job_id, include_zip=False)
    done = client.check_retrieve(job_id, include_zip=False)
    assert done.done and not done.zipFile
    assert base64.b64encode(client.check_retrieve(job_id).zipFile)


def test_unescaped_member_names_from_simple_salesforce_helper_are_accepted(client):
    from sfenv.localorg.mdapi import api as metadata_api

    from .md_support import envelope, zeep_parse
    inner = ("<met:retrieve><met:retrieveRequest><met:apiVersion>60.0</met:apiVersion>"
             "<met:singlePackage>True</met:singlePackage><met:unpackaged><types>"
             "<members>R&D</members><name>Role</name></types></met:unpackaged>"
             "</met:retrieveRequest></met:retrieve>")
    status, body = metadata_api.handle(client.org, envelope(client.session, inner), "60.0")
    job = zeep_parse("retrieve", status, body)
    client.check_retrieve(job.id)
    result = client.check_retrieve(job.id)
    assert [m.problem for m in result.messages] == [
        "Entity of type 'Role' named 'R&D' cannot be found"]


def test_retrieve_over_the_zip_size_limit_fails_with_limit_exceeded(tmp_path):
    from sfenv.localorg.mdapi.retrieve import run_retrieve
    from sfenv.localorg.state.inventory import Inventory

    make_org(tmp_path)
    inv = Inventory.of_folder(tmp_path, default_registry())
    outcome = run_retrieve(inv, {"ApexClass": ["*"]}, api_version="60.0", single_package=False,
                           max_zip_bytes=200)
    assert outcome.error_code == "LIMIT_EXCEEDED"
    assert "exceeded the limit of 200 bytes" in outcome.error_message
    assert run_retrieve(inv, {"ApexClass": ["*"]}, api_version="60.0",
                        single_package=False).success
