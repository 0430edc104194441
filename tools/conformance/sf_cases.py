"""The scripted list of everyday `sf` commands (and one jsforce script) the conformance suite
runs against a seeded production local org, each with an assertion on its result: files
written, status, rows. Cases run in order and share a `Ctx` (aliases, job ids, the project).

A case marked `known_limit` documents something the local org does not do (Apex execution,
record DML, data objects such as Account): it runs and is reported like any other, and a
failure there does not fail the suite.

The tracked-sandbox cases run in a project of their own (`Ctx.tracked`) against a second
local org, an acme-dev sandbox with source tracking on (`Ctx.sandbox`); `Ctx.touch` records a
change made in that org's Setup (a SourceMember row), as a colleague's edit would.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

CMD_TIMEOUT_S = 180
CLASS_BODY = "public with sharing class {name} {{\n    public static Integer one() {{ return 1; }}\n}}\n"
CLASS_META = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">\n'
              "    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n")
NS = "http://soap.sforce.com/2006/04/metadata"


@dataclass
class Result:
    argv: list[str]
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict:
        try:
            return json.loads(self.out)
        except ValueError:
            raise AssertionError(f"not JSON: {self.out[:300]!r} {self.err[-300:]!r}") from None

    @property
    def result(self):
        body = self.json
        assert body.get("status") == 0, f"status {body.get('status')}: {body.get('message')}"
        return body["result"]


@dataclass
class Ctx:
    project: Path
    env: dict[str, str]
    org: dict                 # instance_url, username, access_token, sfdx_auth_url, ...
    org_dir: Path             # the local org's folder of Metadata API files
    other_users: tuple[tuple[str, str], ...]   # (username, session id): two more admins
    jwt_key: Path
    jwt_client_id: str
    node: str
    node_modules: Path
    jobs: dict[str, str] = field(default_factory=dict)
    tracked: Path | None = None          # the tracked-sandbox workflow's own sf project
    sandbox: dict = field(default_factory=dict)      # like `org`, for the tracked sandbox
    sandbox_dir: Path | None = None
    touch: Callable[[list[str]], None] | None = None  # a Setup change in the sandbox

    def in_tracked(self) -> Ctx:
        """The same context working in the tracked-sandbox project."""
        assert self.tracked is not None, "no tracked-sandbox project"
        return replace(self, project=self.tracked)

    def sf(self, *args: str, extra_env: dict[str, str] | None = None) -> Result:
        argv = ["sf", *args]
        env = {**self.env, **(extra_env or {})}
        done = subprocess.run(argv, cwd=self.project, env=env, capture_output=True, text=True,
                              timeout=CMD_TIMEOUT_S)
        return Result(argv, done.returncode, done.stdout, done.stderr)

    def write(self, rel: str, text: str) -> Path:
        path = self.project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Ctx], None]
    known_limit: str | None = None     # why the local org does not do this
    # a case seen to fail now and then for a reason not yet found: run once more before it
    # counts as failed, and the output says so (never silently)
    second_try: str | None = None
    # run before each further try: a try whose retrieve moved the CLI's tracking past the
    # change needs a fresh change to retrieve (the failed first try showed the same empty
    # answer again when only the retrieve was repeated)
    before_retry: Callable[[Ctx], None] | None = None


def package_xml(types: dict[str, list[str]]) -> str:
    body = "".join("    <types>\n" + "".join(f"        <members>{m}</members>\n" for m in ms)
                   + f"        <name>{t}</name>\n    </types>\n" for t, ms in types.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="{NS}">\n{body}'
            "    <version>62.0</version>\n</Package>\n")


def _deployed(res: Result, *, tests: int | None = None) -> dict:
    result = res.result
    assert result["status"] == "Succeeded" and result["success"] is True, result.get("status")
    if tests is not None:
        assert int(result.get("numberTestsTotal", 0)) == tests, result.get("numberTestsTotal")
    return result


def _org_classes(ctx: Ctx) -> set[str]:
    """The Apex classes the org holds now (read from the local org's folder)."""
    return {p.stem for p in (ctx.org_dir / "classes").glob("*.cls")}


def _new_class(ctx: Ctx, name: str, folder: str = "force-app/main/default/classes") -> None:
    ctx.write(f"{folder}/{name}.cls", CLASS_BODY.format(name=name))
    ctx.write(f"{folder}/{name}.cls-meta.xml", CLASS_META)


# --- login and org ------------------------------------------------------------------------


# sf keeps one alias per username: each login method signs in a different admin
def login_access_token(ctx: Ctx) -> None:
    username, session = ctx.other_users[0]
    res = ctx.sf("org", "login", "access-token", "--instance-url", ctx.org["instance_url"],
                 "--no-prompt", "--alias", "prod-token", "--json",
                 extra_env={"SF_ACCESS_TOKEN": session})
    assert res.result["username"] == username


def login_sfdx_url(ctx: Ctx) -> None:
    url_file = ctx.write("auth/sfdx-url.txt", ctx.org["sfdx_auth_url"])
    res = ctx.sf("org", "login", "sfdx-url", "--sfdx-url-file", str(url_file),
                 "--alias", "prod", "--set-default", "--json")
    assert res.result["username"] == ctx.org["username"]


def login_jwt(ctx: Ctx) -> None:
    username = ctx.other_users[1][0]
    res = ctx.sf("org", "login", "jwt", "--username", username, "--jwt-key-file",
                 str(ctx.jwt_key), "--client-id", ctx.jwt_client_id, "--instance-url",
                 ctx.org["instance_url"], "--alias", "prod-jwt", "--json")
    assert res.result["username"] == username


def org_display(ctx: Ctx) -> None:
    result = ctx.sf("org", "display", "-o", "prod-jwt", "--json").result
    assert result["connectedStatus"] == "Connected", result.get("connectedStatus")
    assert result["instanceUrl"].rstrip("/") == ctx.org["instance_url"]


def org_display_user(ctx: Ctx) -> None:
    result = ctx.sf("org", "display", "user", "-o", "prod", "--json").result
    assert result["username"] == ctx.org["username"] and result["orgId"] == ctx.org["org_id"]


def org_list(ctx: Ctx) -> None:
    result = ctx.sf("org", "list", "--json").result
    aliases = {o.get("alias") for o in result["nonScratchOrgs"]}
    assert {"prod", "prod-token", "prod-jwt"} <= aliases, aliases


def list_metadata_types(ctx: Ctx) -> None:
    result = ctx.sf("org", "list", "metadata-types", "-o", "prod", "--json").result
    names = {o["xmlName"] for o in result["metadataObjects"]}
    assert {"ApexClass", "CustomObject", "Profile"} <= names


def list_metadata(ctx: Ctx) -> None:
    res = ctx.sf("org", "list", "metadata", "-m", "ApexClass", "-o", "prod", "--json")
    assert {"AccountScoring", "InvoiceService"} <= {r["fullName"] for r in res.result}


def list_metadata_folder(ctx: Ctx) -> None:
    res = ctx.sf("org", "list", "metadata", "-m", "Report", "--folder", "Billing_Reports",
                 "-o", "prod", "--json")
    names = {r["fullName"] for r in res.result}
    assert names and all(n.startswith("Billing_Reports/") for n in names), names


def limits_api(ctx: Ctx) -> None:
    result = ctx.sf("org", "list", "limits", "-o", "prod", "--json").result
    assert any(r["name"] == "DailyApiRequests" and r["max"] > 0 for r in result), result


def record_counts(ctx: Ctx) -> None:
    result = ctx.sf("org", "list", "sobject", "record-counts", "-s", "User", "-s", "Profile",
                    "-o", "prod", "--json").result
    counts = {r["name"]: r["count"] for r in result}
    assert counts.get("User") == 8 and counts.get("Profile", 0) > 0, counts


# --- data queries -------------------------------------------------------------------------
USERS = "SELECT Id, Username, IsActive FROM User ORDER BY Username"


def query_human(ctx: Ctx) -> None:
    res = ctx.sf("data", "query", "-q", USERS, "-o", "prod")
    assert res.code == 0, res.err[-300:]
    assert ctx.org["username"] in res.out and "Total number of records retrieved: 8" in res.out


def query_json(ctx: Ctx) -> None:
    result = ctx.sf("data", "query", "-q", USERS, "-o", "prod", "--json").result
    assert result["totalSize"] == 8 and result["done"] is True
    assert ctx.org["username"] in {r["Username"] for r in result["records"]}


def query_csv(ctx: Ctx) -> None:
    res = ctx.sf("data", "query", "-q", USERS, "-o", "prod", "-r", "csv")
    assert res.code == 0, res.err[-300:]
    rows = list(csv.reader(io.StringIO(res.out.strip())))
    assert rows[0] == ["Id", "Username", "IsActive"] and len(rows) == 9, rows[:2]


def query_relationship(ctx: Ctx) -> None:
    q = "SELECT Action, CreatedBy.Name FROM SetupAuditTrail ORDER BY CreatedDate DESC LIMIT 5"
    result = ctx.sf("data", "query", "-q", q, "-o", "prod", "--json").result
    assert result["records"] and all(r["CreatedBy"]["Name"] for r in result["records"])


# --- retrieve -----------------------------------------------------------------------------


def generate_manifest(ctx: Ctx) -> None:
    res = ctx.sf("project", "generate", "manifest", "--from-org", "prod", "--output-dir",
                 "manifest", "--name", "org.xml", "--json")
    assert res.result is not None
    text = (ctx.project / "manifest" / "org.xml").read_text()
    assert "<name>ApexClass</name>" in text and "<members>AccountScoring</members>" in text


def retrieve_manifest(ctx: Ctx) -> None:
    ctx.write("manifest/package.xml", package_xml({
        "ApexClass": ["InvoiceService", "InvoiceServiceTest"], "CustomObject": ["Invoice__c"]}))
    result = ctx.sf("project", "retrieve", "start", "-x", "manifest/package.xml", "-o", "prod",
                    "--json").result
    assert result["success"] is True or result["status"] == "Succeeded", result.get("status")
    base = ctx.project / "force-app/main/default"
    assert (base / "classes/InvoiceService.cls").is_file()
    assert (base / "objects/Invoice__c/Invoice__c.object-meta.xml").is_file()
    assert list((base / "objects/Invoice__c/fields").glob("*.field-meta.xml"))


def retrieve_metadata(ctx: Ctx) -> None:
    result = ctx.sf("project", "retrieve", "start", "-m", "ApexClass:AccountScoring",
                    "-o", "prod", "--json").result
    assert {f["fullName"] for f in result["files"]} == {"AccountScoring"}
    assert (ctx.project / "force-app/main/default/classes/AccountScoring.cls").is_file()


def retrieve_child_only(ctx: Ctx) -> None:
    result = ctx.sf("project", "retrieve", "start", "-m", "CustomField:Account.Region__c",
                    "-o", "prod", "--json").result
    obj = ctx.project / "force-app/main/default/objects/Account"
    assert (obj / "fields/Region__c.field-meta.xml").is_file()
    parent = obj / "Account.object-meta.xml"   # sf writes an empty parent into a new folder
    if parent.exists():
        body = parent.read_text().split("<CustomObject", 1)[1].split(">", 1)[1]
        assert "<" not in body.replace("</CustomObject>", ""), "the object's own settings came back"
    fields = {f["fullName"] for f in result["files"] if f["type"] == "CustomField"}
    assert fields == {"Account.Region__c"}, fields


def retrieve_source_dir(ctx: Ctx) -> None:
    result = ctx.sf("project", "retrieve", "start", "-d", "force-app/main/default/classes",
                    "-o", "prod", "--json").result
    names = {f["fullName"] for f in result["files"]}
    assert {"AccountScoring", "InvoiceService"} <= names, names


def retrieve_target_metadata_dir(ctx: Ctx) -> None:
    res = ctx.sf("project", "retrieve", "start", "-m", "ApexClass", "-m", "ApexTrigger",
                 "--target-metadata-dir", "mdapi", "--unzip", "-o", "prod", "--json")
    assert res.result is not None
    found = list((ctx.project / "mdapi").rglob("InvoiceService.cls"))
    assert found, "no InvoiceService.cls under mdapi/"
    assert list((ctx.project / "mdapi").rglob("package.xml"))


def retrieve_in_folder(ctx: Ctx) -> None:
    result = ctx.sf("project", "retrieve", "start", "-m",
                    "Dashboard:Billing_Dashboards/Billing_Overview", "-o", "prod", "--json").result
    assert "Billing_Dashboards/Billing_Overview" in {f["fullName"] for f in result["files"]}
    found = list((ctx.project / "force-app").rglob("Billing_Overview.dashboard-meta.xml"))
    assert found and "elena.garcia@acme.example" in found[0].read_text()


# --- deploy -------------------------------------------------------------------------------


def deploy_source_dir(ctx: Ctx) -> None:
    _new_class(ctx, "ConformanceOne")
    res = ctx.sf("project", "deploy", "start", "-d", "force-app/main/default/classes",
                 "-o", "prod", "--json")
    result = _deployed(res)
    assert int(result["numberTestsTotal"]) > 0, "production runs local tests for Apex"
    assert "ConformanceOne" in _org_classes(ctx)


def deploy_manifest(ctx: Ctx) -> None:
    _new_class(ctx, "ConformanceTwo")
    ctx.write("manifest/two.xml", package_xml({"ApexClass": ["ConformanceTwo"]}))
    _deployed(ctx.sf("project", "deploy", "start", "-x", "manifest/two.xml", "-o", "prod",
                     "--json"))
    assert "ConformanceTwo" in _org_classes(ctx)


def deploy_metadata_dir(ctx: Ctx) -> None:
    _new_class(ctx, "ConformanceMd", folder="mdapi-deploy/classes")
    ctx.write("mdapi-deploy/package.xml", package_xml({"ApexClass": ["ConformanceMd"]}))
    _deployed(ctx.sf("project", "deploy", "start", "--metadata-dir", "mdapi-deploy", "-o", "prod",
                     "--json"))
    assert "ConformanceMd" in _org_classes(ctx)


def deploy_field_no_tests(ctx: Ctx) -> None:
    _deployed(ctx.sf("project", "deploy", "start", "-m", "CustomField:Account.Region__c",
                     "-o", "prod", "--json"), tests=0)


def deploy_no_test_run_refused(ctx: Ctx) -> None:
    res = ctx.sf("project", "deploy", "start", "-m", "ApexClass:ConformanceOne", "--test-level",
                 "NoTestRun", "-o", "prod", "--json")
    body = res.json
    assert body.get("status") != 0, "NoTestRun of Apex was accepted in production"
    assert "NoTestRun cannot be used in production" in json.dumps(body), body.get("message")


def deploy_pre_destructive(ctx: Ctx) -> None:
    ctx.write("destructive/package.xml", package_xml({}))
    ctx.write("destructive/pre.xml", package_xml({"ApexClass": ["ConformanceTwo"]}))
    ctx.write("manifest/one.xml", package_xml({"ApexClass": ["ConformanceOne"]}))
    _deployed(ctx.sf("project", "deploy", "start", "-x", "manifest/one.xml",
                     "--pre-destructive-changes", "destructive/pre.xml", "-o", "prod", "--json"))
    assert "ConformanceTwo" not in _org_classes(ctx)


def deploy_post_destructive(ctx: Ctx) -> None:
    ctx.write("destructive/post.xml", package_xml({"ApexClass": ["ConformanceMd"]}))
    _deployed(ctx.sf("project", "deploy", "start", "-x", "manifest/one.xml",
                     "--post-destructive-changes", "destructive/post.xml", "-o", "prod",
                     "--json"))
    assert "ConformanceMd" not in _org_classes(ctx)


def deploy_validate(ctx: Ctx) -> None:
    _new_class(ctx, "ConformanceQuick")
    result = ctx.sf("project", "deploy", "validate", "-m", "ApexClass:ConformanceQuick",
                    "--test-level", "RunLocalTests", "-o", "prod", "--json").result
    assert result["status"] == "Succeeded" and result["checkOnly"] is True
    assert "ConformanceQuick" not in _org_classes(ctx), "a validation changed the org"
    ctx.jobs["validation"] = result["id"]


def deploy_quick(ctx: Ctx) -> None:
    res = ctx.sf("project", "deploy", "quick", "--job-id", ctx.jobs["validation"], "-o", "prod",
                 "--json")
    assert res.result["status"] == "Succeeded"
    assert "ConformanceQuick" in _org_classes(ctx)


def deploy_async_report(ctx: Ctx) -> None:
    started = ctx.sf("project", "deploy", "start", "-m", "ApexClass:ConformanceOne", "--async",
                     "-o", "prod", "--json").result
    ctx.jobs["async"] = started["id"]
    report = ctx.sf("project", "deploy", "report", "--job-id", started["id"], "-o", "prod",
                    "--json").result
    assert report["id"] == started["id"] and report["status"] in (
        "Pending", "InProgress", "Succeeded"), report.get("status")


def deploy_resume(ctx: Ctx) -> None:
    result = ctx.sf("project", "deploy", "resume", "--job-id", ctx.jobs["async"], "--json").result
    assert result["status"] == "Succeeded" and result["id"] == ctx.jobs["async"]


def deploy_cancel(ctx: Ctx) -> None:
    started = ctx.sf("project", "deploy", "start", "-m", "ApexClass:ConformanceOne", "--async",
                     "-o", "prod", "--json").result
    ctx.sf("project", "deploy", "cancel", "--job-id", started["id"], "--json")
    report = ctx.sf("project", "deploy", "report", "--job-id", started["id"], "-o", "prod",
                    "--json").json
    status = (report.get("result") or report.get("data") or {}).get("status")
    assert status in ("Canceled", "Canceling"), json.dumps(report)[:300]


REST = {"SF_ORG_METADATA_REST_DEPLOY": "true"}


def deploy_rest(ctx: Ctx) -> None:
    _new_class(ctx, "ConformanceRest")
    res = ctx.sf("project", "deploy", "start", "-m", "ApexClass:ConformanceRest", "-o", "prod",
                 "--json", extra_env=REST)
    _deployed(res)
    assert "ConformanceRest" in _org_classes(ctx)


def deploy_rest_validate_quick(ctx: Ctx) -> None:
    _new_class(ctx, "ConformanceRestQuick")
    valid = ctx.sf("project", "deploy", "validate", "-m", "ApexClass:ConformanceRestQuick",
                   "--test-level", "RunLocalTests", "-o", "prod", "--json",
                   extra_env=REST).result
    assert valid["status"] == "Succeeded"
    quick = ctx.sf("project", "deploy", "quick", "--job-id", valid["id"], "-o", "prod",
                   "--json", extra_env=REST).result
    assert quick["status"] == "Succeeded"
    assert "ConformanceRestQuick" in _org_classes(ctx)


JSFORCE_SCRIPT = """
const jsforce = require('jsforce');
(async () => {
  const conn = new jsforce.Connection({instanceUrl: process.env.ORG_URL,
                                       accessToken: process.env.ORG_TOKEN, version: '62.0'});
  const id = await conn.identity();
  const list = await conn.metadata.list([{type: 'ApexClass'}], '62.0');
  const read = await conn.metadata.read('CustomObject', ['Invoice__c']);
  const q = await conn.query('SELECT Id, Name FROM Profile');
  console.log(JSON.stringify({username: id.username, organizationId: id.organization_id,
    classes: list.map(x => x.fullName), label: [].concat(read)[0].label, profiles: q.totalSize}));
})().catch(e => { console.error(e.message); process.exit(1); });
"""


def jsforce_script(ctx: Ctx) -> None:
    script = ctx.write("jsforce-check.js", JSFORCE_SCRIPT)
    env = {**ctx.env, "NODE_PATH": str(ctx.node_modules), "ORG_URL": ctx.org["instance_url"],
           "ORG_TOKEN": ctx.org["access_token"]}
    done = subprocess.run([ctx.node, str(script)], cwd=ctx.project, env=env, capture_output=True,
                          text=True, timeout=CMD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-300:]
    out = json.loads(done.stdout)
    assert out["username"] == ctx.org["username"] and out["organizationId"] == ctx.org["org_id"]
    assert "AccountScoring" in out["classes"] and out["label"] and out["profiles"] > 0, out


# --- folders (trailing-slash members, Metadata API folder file names) -----------------------


def retrieve_folder_manifest(ctx: Ctx) -> None:
    ctx.write("manifest/folders.xml", package_xml({
        "Report": ["Billing_Reports/", "Billing_Reports/Open_Invoices_by_Status"]}))
    result = ctx.sf("project", "retrieve", "start", "-x", "manifest/folders.xml", "-o", "prod",
                    "--json").result
    names = {(f["type"], f["fullName"]) for f in result["files"]}
    assert ("ReportFolder", "Billing_Reports") in names, names
    reports = ctx.project / "force-app/main/default/reports"
    assert (reports / "Billing_Reports.reportFolder-meta.xml").is_file()
    assert not list(reports.rglob("*.reportFolder.reportFolder-meta.xml"))
    assert (reports / "Billing_Reports/Open_Invoices_by_Status.report-meta.xml").is_file()


def retrieve_folder_metadata_dir(ctx: Ctx) -> None:
    res = ctx.sf("project", "retrieve", "start", "-x", "manifest/folders.xml",
                 "--target-metadata-dir", "mdapi-folders", "--unzip", "-o", "prod", "--json")
    assert res.result is not None
    found = {p.name for p in (ctx.project / "mdapi-folders").rglob("*-meta.xml")}
    assert "Billing_Reports-meta.xml" in found, found
    assert not [n for n in found if n.endswith("Folder-meta.xml")], found


def deploy_new_folder(ctx: Ctx) -> None:
    folder = ctx.project / "force-app/main/default/reports"
    ctx.write("force-app/main/default/reports/Conformance_Reports.reportFolder-meta.xml",
              '<?xml version="1.0" encoding="UTF-8"?>\n'
              f'<ReportFolder xmlns="{NS}">\n    <accessType>Public</accessType>\n'
              "    <name>Conformance Reports</name>\n    <publicFolderAccess>ReadWrite"
              "</publicFolderAccess>\n</ReportFolder>\n")
    assert folder.is_dir()
    ctx.write("manifest/new-folder.xml", package_xml({"Report": ["Conformance_Reports/"]}))
    _deployed(ctx.sf("project", "deploy", "start", "-x", "manifest/new-folder.xml", "-o", "prod",
                     "--json"))
    assert (ctx.org_dir / "reports/Conformance_Reports-meta.xml").is_file()


# --- objects, packages, Bulk API 2.0 ------------------------------------------------------------


def sobject_list(ctx: Ctx) -> None:
    result = ctx.sf("sobject", "list", "-o", "prod", "--json").result
    assert {"User", "Profile", "Organization"} <= set(result), result


def package_installed_list(ctx: Ctx) -> None:
    result = ctx.sf("package", "installed", "list", "-o", "prod", "--json").result
    assert result == [], result


def export_bulk(ctx: Ctx) -> None:
    out = ctx.project / "users-bulk.csv"
    res = ctx.sf("data", "export", "bulk", "-q", USERS, "--output-file", str(out), "--wait", "5",
                 "-o", "prod", "--json")
    assert res.result is not None
    rows = list(csv.reader(io.StringIO(out.read_text().strip())))
    assert rows[0] == ["Id", "Username", "IsActive"] and len(rows) == 9, rows[:2]


def export_bulk_json(ctx: Ctx) -> None:
    """`data query --bulk` left the CLI (2.14x): `data export bulk` is its Bulk 2.0 query."""
    out = ctx.project / "users-bulk.json"
    res = ctx.sf("data", "export", "bulk", "-q", USERS, "--output-file", str(out), "--wait", "5",
                 "--result-format", "json", "-o", "prod", "--json")
    assert res.result is not None
    rows = json.loads(out.read_text())
    assert len(rows) == 8 and ctx.org["username"] in {r["Username"] for r in rows}, rows[:2]


# --- setup objects other tools read (#25) --------------------------------------------------------


def _rows(ctx: Ctx, soql: str, *extra: str) -> list[dict]:
    return ctx.sf("data", "query", "-q", soql, *extra, "-o", "prod", "--json").result["records"]


def tooling_apex_class(ctx: Ctx) -> None:
    rows = _rows(ctx, "SELECT Id, Name, ApiVersion, Status FROM ApexClass ORDER BY Name",
                 "--use-tooling-api")
    assert "AccountScoring" in {r["Name"] for r in rows}, rows[:3]


def tooling_release_updates(ctx: Ctx) -> None:
    assert _rows(ctx, "SELECT Id, DeveloperName, DueDate, Status FROM ReleaseUpdate",
                 "--use-tooling-api") == []


def user_licenses(ctx: Ctx) -> None:
    rows = _rows(ctx, "SELECT Name, TotalLicenses, UsedLicenses FROM UserLicense")
    assert any(r["Name"] == "Salesforce" and r["UsedLicenses"] > 0 for r in rows), rows


def event_log_files(ctx: Ctx) -> None:
    assert _rows(ctx, "SELECT Id, EventType, LogDate FROM EventLogFile") == []


def last_login(ctx: Ctx) -> None:
    rows = _rows(ctx, "SELECT Username, LastLoginDate FROM User WHERE IsActive = true")
    logged = {r["Username"]: r["LastLoginDate"] for r in rows}
    assert logged.get(ctx.org["username"]), logged


def limits_full_set(ctx: Ctx) -> None:
    result = ctx.sf("org", "list", "limits", "-o", "prod", "--json").result
    names = {r["name"] for r in result}
    assert len(names) >= 50 and {"DailyBulkV2QueryJobs", "DataStorageMB"} <= names, len(names)


# --- the tracked-sandbox workflow -----------------------------------------------------------------
TRACKED_CLASS = "ConformanceTracked"


def tracked_login(ctx: Ctx) -> None:
    t = ctx.in_tracked()
    url_file = t.write("auth/dev-url.txt", ctx.sandbox["sfdx_auth_url"])
    res = t.sf("org", "login", "sfdx-url", "--sfdx-url-file", str(url_file), "--alias", "dev",
               "--json")
    assert res.result["username"] == ctx.sandbox["username"]


def tracked_retrieve_preview(ctx: Ctx) -> None:
    assert ctx.touch is not None
    ctx.touch(["ApexClass:AccountScoring"])
    result = ctx.in_tracked().sf("project", "retrieve", "preview", "-o", "dev", "--json").result
    names = {f.get("fullName") for f in result.get("toRetrieve", [])}
    assert "AccountScoring" in names, result


def tracked_retrieve_start(ctx: Ctx) -> None:
    t = ctx.in_tracked()
    result = t.sf("project", "retrieve", "start", "-o", "dev", "--json").result
    names = {f["fullName"] for f in result["files"]}
    assert "AccountScoring" in names, names
    assert (t.project / "force-app/main/default/classes/AccountScoring.cls").is_file()
    again = t.sf("project", "retrieve", "preview", "-o", "dev", "--json").result
    assert not again.get("toRetrieve"), again.get("toRetrieve")


def tracked_deploy_preview(ctx: Ctx) -> None:
    t = ctx.in_tracked()
    _new_class(t, TRACKED_CLASS)
    result = t.sf("project", "deploy", "preview", "-o", "dev", "--json").result
    names = {f.get("fullName") for f in result.get("toDeploy", [])}
    assert TRACKED_CLASS in names and "AccountScoring" not in names, names


def tracked_deploy_start(ctx: Ctx) -> None:
    t = ctx.in_tracked()
    result = _deployed(t.sf("project", "deploy", "start", "-o", "dev", "--json"))
    deployed = {f["fullName"] for f in result.get("files", [])}
    assert TRACKED_CLASS in deployed and "AccountScoring" not in deployed, deployed
    assert ctx.sandbox_dir is not None
    assert (ctx.sandbox_dir / f"classes/{TRACKED_CLASS}.cls").is_file()
    after = t.sf("project", "deploy", "preview", "-o", "dev", "--json").result
    assert not after.get("toDeploy"), after.get("toDeploy")


def tracked_delete_source(ctx: Ctx) -> None:
    t = ctx.in_tracked()
    res = t.sf("project", "delete", "source", "-m", f"ApexClass:{TRACKED_CLASS}", "-o", "dev",
               "--no-prompt", "--json")
    assert res.result is not None
    assert ctx.sandbox_dir is not None
    assert not (ctx.sandbox_dir / f"classes/{TRACKED_CLASS}.cls").exists()
    assert not (t.project / f"force-app/main/default/classes/{TRACKED_CLASS}.cls").exists()


# --- known limits: documented, expected to fail -------------------------------------------


def apex_run(ctx: Ctx) -> None:
    ctx.write("scripts/hello.apex", "System.debug('hello');\n")
    result = ctx.sf("apex", "run", "-f", "scripts/hello.apex", "-o", "prod", "--json").result
    assert result["success"] is True


def data_create_record(ctx: Ctx) -> None:
    result = ctx.sf("data", "create", "record", "-s", "Account", "-v", "Name=Conformance",
                    "-o", "prod", "--json").result
    assert result["success"] is True


def sobject_describe(ctx: Ctx) -> None:
    result = ctx.sf("sobject", "describe", "-s", "User", "-o", "prod", "--json").result
    assert result["name"] == "User" and any(f["name"] == "Username" for f in result["fields"])


def sobject_describe_data(ctx: Ctx) -> None:
    result = ctx.sf("sobject", "describe", "-s", "Account", "-o", "prod", "--json").result
    assert result["name"] == "Account"


CASES: list[Case] = [
    Case("org login access-token", login_access_token),
    Case("org login sfdx-url", login_sfdx_url),
    Case("org login jwt", login_jwt),
    Case("org display", org_display),
    Case("org display user", org_display_user),
    Case("org list", org_list),
    Case("org list metadata-types", list_metadata_types),
    Case("org list metadata", list_metadata),
    Case("org list metadata --folder", list_metadata_folder),
    Case("org list limits", limits_api),
    Case("org list sobject record-counts", record_counts),
    Case("data query (human)", query_human),
    Case("data query --json", query_json),
    Case("data query -r csv", query_csv),
    Case("data query relationship field", query_relationship),
    Case("project generate manifest --from-org", generate_manifest),
    Case("project retrieve start --manifest", retrieve_manifest),
    Case("project retrieve start --metadata", retrieve_metadata),
    Case("project retrieve start --metadata child only", retrieve_child_only),
    Case("project retrieve start --source-dir", retrieve_source_dir),
    Case("project retrieve start --target-metadata-dir", retrieve_target_metadata_dir),
    Case("project retrieve start in-folder component", retrieve_in_folder),
    Case("project deploy start --source-dir", deploy_source_dir),
    Case("project deploy start --manifest", deploy_manifest),
    Case("project deploy start --metadata-dir", deploy_metadata_dir),
    Case("project deploy start field only (production: no tests)", deploy_field_no_tests),
    Case("project deploy start NoTestRun refused in production", deploy_no_test_run_refused),
    Case("project deploy start --pre-destructive-changes", deploy_pre_destructive),
    Case("project deploy start --post-destructive-changes", deploy_post_destructive),
    Case("project deploy validate", deploy_validate),
    Case("project deploy quick", deploy_quick),
    Case("project deploy start --async + report", deploy_async_report),
    Case("project deploy resume", deploy_resume),
    Case("project deploy cancel", deploy_cancel),
    Case("project deploy start (REST)", deploy_rest),
    Case("project deploy validate + quick (REST)", deploy_rest_validate_quick),
    Case("jsforce identity, metadata list/read, query", jsforce_script),
    Case("project retrieve start --manifest folder/ members", retrieve_folder_manifest),
    Case("project retrieve start folders --target-metadata-dir", retrieve_folder_metadata_dir),
    Case("project deploy start --manifest new folder", deploy_new_folder),
    Case("sobject list", sobject_list),
    Case("data query --use-tooling-api ApexClass", tooling_apex_class),
    Case("data query --use-tooling-api ReleaseUpdate", tooling_release_updates),
    Case("data query UserLicense", user_licenses),
    Case("data query EventLogFile", event_log_files),
    Case("data query User.LastLoginDate", last_login),
    Case("org list limits (Salesforce's full set)", limits_full_set),
    Case("sobject describe", sobject_describe),
    Case("package installed list", package_installed_list),
    Case("data export bulk (Bulk API 2.0)", export_bulk),
    Case("data export bulk --result-format json (Bulk API 2.0)", export_bulk_json),
    Case("tracked: org login sfdx-url (sandbox)", tracked_login),
    Case("tracked: project retrieve preview", tracked_retrieve_preview),
    Case("tracked: project retrieve start", tracked_retrieve_start,
         second_try="the current CLI (2.150.6) sometimes answers `files: []` right after a "
                    "preview listed the change (about 1 run in 3 here; the pinned CLI never); "
                    "not yet explained",
         before_retry=tracked_retrieve_preview),
    Case("tracked: project deploy preview", tracked_deploy_preview),
    Case("tracked: project deploy start", tracked_deploy_start),
    Case("tracked: project delete source", tracked_delete_source),
    Case("apex run", apex_run, known_limit="no Apex runtime: the local org stores Apex source, "
         "it does not compile or execute it"),
    Case("data create record", data_create_record, known_limit="no record DML: the REST API "
         "answers queries over setup objects only"),
    Case("sobject describe Account", sobject_describe_data, known_limit="no data objects: "
         "the local org serves setup objects (User, Profile, ...), not Account records"),
]
