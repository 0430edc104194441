"""REST and Tooling objects tools read, describes, limits, API versions and Bulk API 2.0
query jobs, over HTTPS as a client sees them (#25)."""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import quote

import pytest

from .md_support import make_org


@pytest.fixture
def org(local_org, tmp_path):
    make_org(tmp_path / "org")
    return local_org.start(data=tmp_path / "org")


def _get(local_org, org, path: str, **kw):
    return local_org.session(org).get(f"{org.instance_url}/services/data/{path}",
                                      headers={"Authorization": f"Bearer {org.access_token}"},
                                      **kw)


def _call(local_org, org, method: str, path: str, **kw):
    return local_org.session(org).request(
        method, f"{org.instance_url}/services/data/{path}",
        headers={"Authorization": f"Bearer {org.access_token}"}, **kw)


def _query(local_org, org, soql: str, tooling: bool = False):
    reply = _get(local_org, org, f"v66.0/{'tooling/' if tooling else ''}query?q={quote(soql)}")
    return reply.status_code, reply.json()


# --- versions ---------------------------------------------------------------------------------

def test_versions_run_to_the_current_release(org, local_org):
    versions = _get(local_org, org, "").json()
    assert versions[-1] == {"label": "Winter '27", "url": "/services/data/v68.0",
                            "version": "68.0"}
    assert {"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"} in versions
    assert _get(local_org, org, "v68.0/limits").status_code == 200


def test_a_version_the_org_does_not_serve_gets_salesforces_404(org, local_org):
    reply = _get(local_org, org, "v69.0/limits")
    assert reply.status_code == 404
    assert reply.json() == [{"message": "The requested resource does not exist",
                             "errorCode": "NOT_FOUND"}]


# --- describe ---------------------------------------------------------------------------------

def test_source_member_describe_answers_on_a_tracked_sandbox_only(org, local_org):
    assert _get(local_org, org, "v66.0/tooling/sobjects/SourceMember/describe").status_code == 404
    org.set_source_tracking()
    reply = _get(local_org, org, "v66.0/tooling/sobjects/SourceMember/describe")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["name"] == "SourceMember" and body["queryable"] is True
    fields = {f["name"]: f for f in body["fields"]}
    assert {"RevisionCounter", "MemberType", "MemberName", "IsNameObsolete"} <= set(fields)
    assert fields["Id"]["type"] == "id" and fields["IsNameObsolete"]["type"] == "boolean"
    assert body["urls"]["describe"] == "/services/data/v66.0/tooling/sobjects/SourceMember/describe"


def test_every_served_object_has_a_describe_and_global_describe_lists_them(org, local_org):
    for tooling in ("", "tooling/"):
        listed = _get(local_org, org, f"v66.0/{tooling}sobjects").json()
        names = [s["name"] for s in listed["sobjects"]]
        assert "User" in names and listed["encoding"] == "UTF-8"
        for name in names:
            reply = _get(local_org, org, f"v66.0/{tooling}sobjects/{name}/describe")
            assert reply.status_code == 200, (name, reply.text)
            assert reply.json()["name"] == name
            basic = _get(local_org, org, f"v66.0/{tooling}sobjects/{name}").json()
            assert basic["objectDescribe"]["name"] == name and basic["recentItems"] == []
    tooling_names = {s["name"] for s in _get(local_org, org, "v66.0/tooling/sobjects").json()[
        "sobjects"]}
    assert {"ApexClass", "InstalledSubscriberPackage", "ReleaseUpdate"} <= tooling_names


def test_a_reference_field_is_described_with_its_target(org, local_org):
    body = _get(local_org, org, "v66.0/sobjects/User/describe").json()
    profile = next(f for f in body["fields"] if f["name"] == "ProfileId")
    assert (profile["type"], profile["referenceTo"], profile["relationshipName"]) == (
        "reference", ["Profile"], "Profile")


def test_an_unknown_object_describe_is_not_found(org, local_org):
    reply = _get(local_org, org, "v66.0/sobjects/Nope__c/describe")
    assert reply.status_code == 404 and reply.json()[0]["errorCode"] == "NOT_FOUND"


# --- objects ------------------------------------------------------------------------------------

def test_tooling_apex_class_rows_come_from_the_org_classes(org, local_org):
    status, body = _query(local_org, org, "SELECT Id, Name, ApiVersion, Status, Body FROM "
                          "ApexClass ORDER BY Name", tooling=True)
    assert status == 200, body
    names = [r["Name"] for r in body["records"]]
    assert names == sorted(names) and "FooTest" in names
    foo = next(r for r in body["records"] if r["Name"] == "FooTest")
    assert foo["Id"].startswith("01p") and "@isTest" in foo["Body"]
    status, body = _query(local_org, org, "SELECT Id FROM ApexClass")
    assert (status, body[0]["errorCode"]) == (400, "INVALID_TYPE")   # Tooling only here


def test_installed_packages_release_updates_and_event_logs_are_empty_lists(org, local_org):
    installed = ("SELECT Id, SubscriberPackageId, SubscriberPackage.NamespacePrefix, "
                 "SubscriberPackage.Name, SubscriberPackageVersion.Id, "
                 "SubscriberPackageVersion.Name, SubscriberPackageVersion.MajorVersion, "
                 "SubscriberPackageVersion.BuildNumber FROM InstalledSubscriberPackage "
                 "ORDER BY SubscriberPackageId")
    for soql, tooling in ((installed, True),
                          ("SELECT Id, DeveloperName, DueDate FROM ReleaseUpdate", True),
                          ("SELECT Id, EventType, LogDate FROM EventLogFile", False)):
        status, body = _query(local_org, org, soql, tooling)
        assert (status, body["totalSize"], body["records"]) == (200, 0, []), soql


def test_user_licenses_count_the_active_users(org, local_org):
    status, body = _query(local_org, org, "SELECT Name, LicenseDefinitionKey, TotalLicenses, "
                          "UsedLicenses FROM UserLicense WHERE LicenseDefinitionKey = 'SFDC'")
    assert status == 200, body
    [row] = body["records"]
    active = sum(1 for u in org.server.org.users if u.is_active)
    assert (row["Name"], row["UsedLicenses"]) == ("Salesforce", active)
    status, body = _query(local_org, org, "SELECT Name, UserLicense.Name FROM Profile")
    assert status == 200 and body["records"][0]["UserLicense"]["Name"] == "Salesforce"


def test_last_login_date_is_when_the_user_logged_in(org, local_org):
    status, body = _query(local_org, org, "SELECT Username, LastLoginDate FROM User")
    assert status == 200, body
    admin = org.server.org.admin.username
    logged = {r["Username"]: r["LastLoginDate"] for r in body["records"]}
    assert logged[admin] is not None and logged[admin].endswith("+0000")


def test_limits_list_salesforces_entries(org, local_org):
    body = _get(local_org, org, "v66.0/limits").json()
    assert len(body) >= 50
    for name in ("DailyApiRequests", "DailyBulkV2QueryJobs", "DataStorageMB", "FileStorageMB",
                 "DailyAsyncApexExecutions", "SingleEmail", "HourlyODataCallout"):
        assert set(body[name]) >= {"Max", "Remaining"}, name
    assert body["PermissionSets"]["CreateCustom"]["Max"] > 0


# --- Bulk API 2.0 query jobs ---------------------------------------------------------------------

def _create(local_org, org, soql: str, **extra):
    return _call(local_org, org, "POST", "v66.0/jobs/query",
                 json={"operation": "query", "query": soql, **extra})


def test_bulk_query_job_lifecycle_with_locator_paging(org, local_org):
    reply = _create(local_org, org, "SELECT Id, Username, IsActive FROM User ORDER BY Username")
    assert reply.status_code == 200, reply.text
    job = reply.json()
    assert job["id"].startswith("750") and job["state"] == "UploadComplete"
    assert (job["object"], job["operation"], job["contentType"]) == ("User", "query", "CSV")
    for _ in range(5):
        info = _get(local_org, org, f"v66.0/jobs/query/{job['id']}").json()
        if info["state"] == "JobComplete":
            break
        time.sleep(0.05)
    users = sorted(u.username for u in org.server.org.users)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == len(users)
    rows, locator, pages = [], None, 0
    while True:
        params = {"maxRecords": 1} | ({"locator": locator} if locator else {})
        page = _get(local_org, org, f"v66.0/jobs/query/{job['id']}/results", params=params)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/csv")
        assert page.text.startswith('"Id","Username","IsActive"')
        parsed = list(csv.DictReader(io.StringIO(page.text)))
        assert int(page.headers["Sforce-NumberOfRecords"]) == len(parsed)
        rows += parsed
        pages += 1
        locator = page.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert [r["Username"] for r in rows] == users and pages == len(users)
    assert {r["IsActive"] for r in rows} <= {"true", "false"}
    listed = _get(local_org, org, "v66.0/jobs/query").json()
    assert job["id"] in [j["id"] for j in listed["records"]]
    assert _call(local_org, org, "DELETE", f"v66.0/jobs/query/{job['id']}").status_code == 204
    assert _get(local_org, org, f"v66.0/jobs/query/{job['id']}").status_code == 404


def test_a_bulk_job_can_be_aborted_before_it_finishes_and_not_after(org, local_org):
    job = _create(local_org, org, "SELECT Id FROM User").json()
    aborted = _call(local_org, org, "PATCH", f"v66.0/jobs/query/{job['id']}",
                    json={"state": "Aborted"})
    assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
    results = _get(local_org, org, f"v66.0/jobs/query/{job['id']}/results")
    assert results.status_code == 400
    done = _create(local_org, org, "SELECT Id FROM User").json()
    assert _get(local_org, org, f"v66.0/jobs/query/{done['id']}").json()["state"] == "JobComplete"
    late = _call(local_org, org, "PATCH", f"v66.0/jobs/query/{done['id']}",
                 json={"state": "Aborted"})
    assert late.status_code == 400


def test_a_bad_bulk_query_is_refused_with_the_soql_error(org, local_org):
    reply = _create(local_org, org, "SELECT Nope FROM User")
    assert reply.status_code == 400 and reply.json()[0]["errorCode"] == "INVALID_FIELD"
    reply = _create(local_org, org, "SELECT Id FROM Nope__c")
    assert reply.status_code == 400 and reply.json()[0]["errorCode"] == "INVALID_TYPE"


def test_bulk_jobs_need_a_session(org, local_org):
    reply = local_org.session(org).post(f"{org.instance_url}/services/data/v66.0/jobs/query",
                                        json={"operation": "query", "query": "SELECT Id FROM User"})
    assert reply.status_code == 401
