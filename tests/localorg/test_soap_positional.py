"""Salesforce binds a SOAP call's arguments by position, not by element name: jsforce (and so
the `sf` CLI) names them after its own parameters (`<retrieve><request>`, `<cancelDeploy><id>`).
One test per Metadata API operation sends jsforce's names (or arbitrary ones) and checks the
answer is the one the WSDL names would get."""

from __future__ import annotations

import base64

import pytest

from sfenv.localorg import soap
from sfenv.localorg.auth.soap_login import soap_login

from .md_support import Client_, Fault, make_org, make_zip, package, read_zip, xml

V = "60.0"
ROLE = xml("Role", "    <name>Chief</name>")


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path, sandbox=True))


def _retrieve_request(types: str) -> str:
    return (f"<met:apiVersion>{V}</met:apiVersion><met:singlePackage>true</met:singlePackage>"
            f"<met:unpackaged>{types}<met:version>{V}</met:version></met:unpackaged>")


def _poll(client: Client_, op: str, inner: str):
    for _ in range(10):
        result = client.call(op, inner)
        if result.done:
            return result
    raise AssertionError(f"{op} never finished")


def _deploy(client: Client_, files: dict[str, bytes], arg_names=("ZipFile", "DeployOptions"),
            options: str = "<met:singlePackage>true</met:singlePackage>") -> str:
    data = base64.b64encode(make_zip(files)).decode()
    zip_name, opts_name = arg_names
    result = client.call("deploy", f"<met:{zip_name}>{data}</met:{zip_name}>"
                                   f"<met:{opts_name}>{options}</met:{opts_name}>")
    return result.id


def test_describe_metadata_binds_as_of_version_by_position(client):
    result = client.call("describeMetadata", f"<met:version>{V}</met:version>")
    assert "ApexClass" in {t.xmlName for t in result.metadataObjects}


def test_list_metadata_binds_the_query_array_then_the_version(client):
    inner = ("<met:query><met:type>ApexClass</met:type></met:query>"
             "<met:query><met:type>Role</met:type></met:query>"
             f"<met:version>{V}</met:version>")
    result = client.call("listMetadata", inner)
    assert {(p.type, p.fullName) for p in result} == {
        ("ApexClass", "Foo"), ("ApexClass", "FooTest"), ("Role", "CEO"), ("Role", "VP_Sales")}


def test_list_metadata_named_arguments_may_leave_out_the_queries(client):
    status, _payload = client.raw("listMetadata", f"<met:asOfVersion>{V}</met:asOfVersion>")
    assert status == 200


def test_read_metadata_binds_type_then_full_names(client):
    inner = "<met:metadataType>Role</met:metadataType><met:names>CEO</met:names>" \
            "<met:names>VP_Sales</met:names>"
    result = client.call("readMetadata", inner)
    assert [r.fullName for r in result] == ["CEO", "VP_Sales"]


def test_retrieve_with_jsforce_request_element_and_check_with_id(client):
    types = "<met:types><met:members>Foo</met:members><met:name>ApexClass</met:name></met:types>"
    started = client.call("retrieve", f"<met:request>{_retrieve_request(types)}</met:request>")
    assert started.state == "Queued"
    done = _poll(client, "checkRetrieveStatus",
                 f"<met:id>{started.id}</met:id><met:includeZip>true</met:includeZip>")
    assert done.success is True
    assert "classes/Foo.cls" in read_zip(done.zipFile)


def test_check_retrieve_status_second_argument_is_include_zip(client):
    types = "<met:types><met:members>Foo</met:members><met:name>ApexClass</met:name></met:types>"
    started = client.call("retrieve", f"<met:request>{_retrieve_request(types)}</met:request>")
    done = _poll(client, "checkRetrieveStatus",
                 f"<met:id>{started.id}</met:id><met:zip>false</met:zip>")
    assert done.success is True and not done.zipFile


def test_deploy_and_check_deploy_status_with_other_argument_names(client):
    files = {"package.xml": package({"Role": ["COO"]}),
             "roles/COO.role": b'<?xml version="1.0" encoding="UTF-8"?>\n'
                               b'<Role xmlns="http://soap.sforce.com/2006/04/metadata">'
                               b"<name>COO</name></Role>\n"}
    job_id = _deploy(client, files, arg_names=("zipFile", "options"))
    done = _poll(client, "checkDeployStatus",
                 f"<met:id>{job_id}</met:id><met:details>true</met:details>")
    assert done.status == "Succeeded"
    assert "COO" in {s.fullName for s in done.details.componentSuccesses}


def test_cancel_deploy_with_jsforce_id_element_cancels(client):
    files = {"package.xml": package({"Role": ["CEO"]})}
    job_id = _deploy(client, files)
    result = client.call("cancelDeploy", f"<met:id>{job_id}</met:id>")
    assert result.done is True
    status = client.call("checkDeployStatus", f"<met:id>{job_id}</met:id>")
    assert status.status == "Canceled"


def test_deploy_recent_validation_binds_the_validation_id_by_position(client):
    files = {"package.xml": package({"Role": ["CEO"]}), "roles/CEO.role": ROLE}
    job_id = _deploy(client, files, options="<met:checkOnly>true</met:checkOnly>"
                                            "<met:singlePackage>true</met:singlePackage>")
    assert _poll(client, "checkDeployStatus", f"<met:id>{job_id}</met:id>").status == "Succeeded"
    quick = client.call("deployRecentValidation", f"<met:id>{job_id}</met:id>")
    assert quick != job_id and quick.startswith("0Af")


def test_unknown_job_id_still_faults_when_bound_by_position(client):
    with pytest.raises(Fault, match="INVALID_ID_FIELD"):
        client.call("cancelDeploy", "<met:id>0Af000000000000AAA</met:id>")


def test_partner_login_binds_username_and_password_by_position(tmp_path):
    org = make_org(tmp_path)
    admin = org.admin
    body = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login>'
            f"<urn:user>{admin.username}</urn:user>"
            f"<urn:pass>{admin.password}{admin.security_token}</urn:pass>"
            "</urn:login></soapenv:Body></soapenv:Envelope>").encode()
    status, _ctype, payload = soap_login(org, "https://127.0.0.1:1", body, "60.0")
    assert status == 200 and b"<sessionId>" in payload


def test_bind_arguments_prefers_names_when_all_are_wsdl_names():
    from lxml import etree

    op = etree.fromstring("<op><b>2</b><a>1</a></op>")
    bound = soap.bind_arguments(op, (("a", False), ("b", False)))
    assert [e.text for e in bound["a"]] == ["1"] and [e.text for e in bound["b"]] == ["2"]
    op = etree.fromstring("<op><x>1</x><x>2</x><y>3</y></op>")
    bound = soap.bind_arguments(op, (("a", True), ("b", False)))
    assert [e.text for e in bound["a"]] == ["1", "2"] and [e.text for e in bound["b"]] == ["3"]
