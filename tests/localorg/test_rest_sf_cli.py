"""The REST endpoints the `sf` CLI and jsforce call beyond sfenv's own: query column metadata,
record counts, the identity URL, and deploys over REST (`metadata/deployRequest`)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from .md_support import make_org, package, xml

V = "v62.0"
ROLE = xml("Role", "    <name>Chief</name>")


@pytest.fixture
def rest(local_org, tmp_path):
    make_org(tmp_path / "org", sandbox=True)
    org = local_org.start(data=tmp_path / "org")
    session = local_org.session(org)
    session.headers["Authorization"] = f"Bearer {org.access_token}"
    return org, session, f"{org.instance_url}/services/data/{V}"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _start_deploy(session, base: str, files: dict[str, bytes], **options) -> dict:
    entity = json.dumps({"deployOptions": {"singlePackage": True, **options}})
    reply = session.post(f"{base}/metadata/deployRequest", files={
        "file": ("package.xml", _zip(files), "application/zip"),
        "entity_content": (None, entity, "application/json"),
    })
    assert reply.status_code == 201, reply.text
    return reply.json()


def _poll(session, base: str, job_id: str, details: bool = False) -> dict:
    suffix = "?includeDetails=true" if details else ""
    for _ in range(10):
        body = session.get(f"{base}/metadata/deployRequest/{job_id}{suffix}").json()
        if body["deployResult"]["done"]:
            return body
    raise AssertionError("deploy never finished")


def test_version_resource_names_the_identity_url_and_it_answers_the_user(rest):
    org, session, base = rest
    identity = session.get(base).json()["identity"]
    assert identity == f"{org.instance_url}/id/{org.org_id}/{identity.rsplit('/', 1)[1]}"
    me = session.get(identity, params={"format": "json"}).json()
    assert (me["username"], me["organization_id"]) == (org.username, org.org_id)
    assert me["user_id"].startswith("005")


def test_query_with_columns_true_answers_column_metadata(rest):
    _org, session, base = rest
    q = "SELECT Id, Username, Profile.Name FROM User"
    body = session.get(f"{base}/query", params={"q": q, "columns": "true"}).json()
    assert body["entityName"] == "User" and body["idSelected"] is True
    names = [c["columnName"] for c in body["columnMetadata"]]
    assert names == ["Id", "Username", "Profile"]
    profile = body["columnMetadata"][2]
    assert [j["columnName"] for j in profile["joinColumns"]] == ["Name"]
    assert "records" not in body


def test_record_count_answers_per_object_counts(rest):
    _org, session, base = rest
    users = session.get(f"{base}/query", params={"q": "SELECT Id FROM User"}).json()["totalSize"]
    body = session.get(f"{base}/limits/recordCount", params={"sObjects": "User,Nope__c"}).json()
    assert body == {"sObjects": [{"count": users, "name": "User"}]}


def test_rest_deploy_runs_and_reports_details(rest):
    org, session, base = rest
    started = _start_deploy(session, base, {"package.xml": package({"Role": ["COO"]}),
                                            "roles/COO.role": ROLE})
    assert started["id"].startswith("0Af") and started["deployResult"]["done"] is False
    assert started["deployOptions"]["singlePackage"] is True
    done = _poll(session, base, started["id"], details=True)["deployResult"]
    assert (done["status"], done["success"], done["numberComponentsDeployed"]) == (
        "Succeeded", True, 1)
    assert [s["fullName"] for s in done["details"]["componentSuccesses"]
            if s["componentType"] == "Role"] == ["COO"]
    assert (org.data_dir / "roles" / "COO.role").is_file()


def test_rest_quick_deploy_of_a_validation(rest):
    org, session, base = rest
    files = {"package.xml": package({"Role": ["CFO"]}), "roles/CFO.role": ROLE}
    validation = _start_deploy(session, base, files, checkOnly=True)
    assert _poll(session, base, validation["id"])["deployResult"]["status"] == "Succeeded"
    assert not (org.data_dir / "roles" / "CFO.role").exists()
    reply = session.post(f"{base}/metadata/deployRequest",
                         json={"validatedDeployRequestId": validation["id"]})
    assert reply.status_code == 201, reply.text
    quick = reply.json()
    assert quick["id"] != validation["id"] and quick["validatedDeployRequestId"] == validation["id"]
    assert _poll(session, base, quick["id"])["deployResult"]["status"] == "Succeeded"
    assert (org.data_dir / "roles" / "CFO.role").is_file()


def test_rest_cancel_with_patch(rest):
    _org, session, base = rest
    started = _start_deploy(session, base, {"package.xml": package({"Role": ["COO"]}),
                                            "roles/COO.role": ROLE})
    reply = session.patch(f"{base}/metadata/deployRequest/{started['id']}",
                          json={"deployResult": {"status": "Canceling"}})
    assert reply.status_code == 202, reply.text
    assert _poll(session, base, started["id"])["deployResult"]["status"] == "Canceled"


def test_rest_deploy_errors_are_salesforce_shaped(rest):
    _org, session, base = rest
    reply = session.post(f"{base}/metadata/deployRequest", json={})
    assert reply.status_code == 400 and reply.json()[0]["errorCode"] == "INVALID_INPUT"
    reply = session.get(f"{base}/metadata/deployRequest/0Af000000000000AAA")
    assert reply.status_code == 404 and reply.json()[0]["errorCode"] == "INVALID_ID_FIELD"


def test_rest_deploy_of_apex_with_no_test_run_in_production_is_refused(local_org, tmp_path):
    make_org(tmp_path / "prod", sandbox=False)
    org = local_org.start(data=tmp_path / "prod")
    session = local_org.session(org)
    session.headers["Authorization"] = f"Bearer {org.access_token}"
    entity = json.dumps({"deployOptions": {"singlePackage": True, "testLevel": "NoTestRun"}})
    files = {"package.xml": package({"ApexClass": ["Bar"]}),
             "classes/Bar.cls": b"public class Bar {}\n",
             "classes/Bar.cls-meta.xml": xml("ApexClass", "    <apiVersion>62.0</apiVersion>")}
    reply = session.post(f"{org.instance_url}/services/data/{V}/metadata/deployRequest", files={
        "file": ("package.xml", _zip(files), "application/zip"),
        "entity_content": (None, entity, "application/json")})
    assert reply.status_code == 400
    assert reply.json()[0]["errorCode"] == "INVALID_OPERATION"
    assert not (org.data_dir / "classes" / "Bar.cls").exists()
