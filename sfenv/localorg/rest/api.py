"""The REST API subset sfenv and the sf CLI use: versions, resource map (with `identity`),
query/tooling query (with nextRecordsUrl paging; `columns=true` answers column metadata),
sobject rows by id, limits and limits/recordCount, and deploys (`metadata/deployRequest`,
in rest/deploy.py). Shapes and errors as Salesforce:
`{"totalSize", "done", "records": [{"attributes": {"type", "url"}, ...}]}` and
`[{"message", "errorCode"}]` with 401 INVALID_SESSION_ID, 400 MALFORMED_QUERY/INVALID_TYPE/
INVALID_FIELD, 404 NOT_FOUND."""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from urllib.parse import parse_qs

from sfenv.localorg import versions
from sfenv.localorg.auth.identity import profile_id
from sfenv.localorg.replies import JSON, Reply, rest_error
from sfenv.localorg.rest import bulk, soql, soql_columns
from sfenv.localorg.rest import describe as rest_describe
from sfenv.localorg.rest import groups as rest_groups
from sfenv.localorg.rest import limits as rest_limits
from sfenv.localorg.rest import objects as rest_objects
from sfenv.localorg.rest import usage_objects as rest_usage
from sfenv.localorg.rest.deploy_requests import with_deploy_requests
from sfenv.localorg.state import OrgState, User
from sfenv.localorg.state.dates import parse_sf_datetime

BATCH_SIZE = 2000
_CURSORS_KEPT = 50

SCHEMAS = {
    "Organization": soql.SObject("Organization", {
        "Id": "id", "Name": "string", "IsSandbox": "boolean", "InstanceName": "string",
        "OrganizationType": "string", "NamespacePrefix": "string", "CreatedDate": "datetime",
        "TrialExpirationDate": "datetime", "LanguageLocaleKey": "string",
        "DefaultLocaleSidKey": "string", "TimeZoneSidKey": "string", "Country": "string",
    }),
    "User": soql.SObject("User", {
        "Id": "id", "Username": "string", "Name": "string", "FirstName": "string",
        "LastName": "string", "Email": "string", "IsActive": "boolean", "ProfileId": "id",
        "UserType": "string", "CreatedDate": "datetime", "LastModifiedDate": "datetime",
        "TimeZoneSidKey": "string", "LanguageLocaleKey": "string", "LastLoginDate": "datetime",
    }, {"Profile": ("Profile", "ProfileId")}),
    "Profile": soql.SObject("Profile", {"Id": "id", "Name": "string", "UserType": "string",
                                        "UserLicenseId": "id"},
                            {"UserLicense": ("UserLicense", "UserLicenseId")}),
    "SetupAuditTrail": soql.SObject("SetupAuditTrail", {
        "Id": "id", "Action": "string", "Section": "string", "CreatedDate": "datetime",
        "CreatedById": "id", "Display": "string", "DelegateUser": "string",
        "ResponsibleNamespacePrefix": "string",
    }, {"CreatedBy": ("User", "CreatedById")}),
    **rest_groups.SCHEMAS,
    **rest_objects.SCHEMAS,
}

# the Tooling API's source tracking object: only on orgs with tracking (source_members.py)
SOURCE_MEMBER = soql.SObject("SourceMember", {
    "Id": "id", "MemberType": "string", "MemberName": "string", "MemberIdOrName": "string",
    "RevisionCounter": "number", "RevisionNum": "number", "IsNameObsolete": "boolean",
    "IsNewMember": "boolean", "ChangedBy": "id", "CreatedDate": "datetime",
    "CreatedById": "id", "LastModifiedDate": "datetime", "LastModifiedById": "id",
})


version_label = versions.label


def supported_version(number: str) -> bool:
    return versions.supported(number)


def _sf_rest_datetime(value: str | None) -> str | None:
    """REST writes `2024-05-01T10:00:00.000+0000`."""
    if not value:
        return None
    dt = parse_sf_datetime(value)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


class RestApi:
    """REST resources of one org (the server checks the session and the API version first)."""

    def __init__(self, org: OrgState) -> None:
        self.org = org
        self._cursors: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()
        self.bulk = bulk.BulkQueries(self.run_soql)

    # --- resources (the server's route table maps URLs to these) ---------------------------
    def resources(self, version: str, tooling: bool, user: User, base_url: str) -> Reply:
        """`GET /services/data/vNN.0[/tooling]`: the resource map."""
        resources = self._resources(version, tooling)
        if not tooling:   # what jsforce's conn.identity() reads
            resources["identity"] = f"{base_url}/id/{self.org.org_id}/{user.id}"
        return 200, JSON, json.dumps(resources).encode()

    def query(self, version: str, tooling: bool, query_string: str) -> Reply:
        """`GET .../query?q=...` (rows, paged) or `...&columns=true` (column metadata)."""
        params = parse_qs(query_string)
        q = params.get("q", [""])[0]
        if params.get("columns", ["false"])[0].lower() == "true":
            return self._columns(q, tooling)
        return self._query(version, q, tooling)

    def run_soql(self, text: str, tooling: bool = False
                 ) -> tuple[soql.Database, soql.SObject, list[tuple[str, ...]], list[dict]]:
        """A query over the org's rows (all of them: no paging), for Bulk API 2.0 jobs."""
        parsed = soql.parse(text)
        db = self.database(tooling)
        sobject, paths, rows, _total = db.run(parsed)
        return db, sobject, paths, rows

    # --- describe ---------------------------------------------------------------------------
    def global_describe(self, version: str, tooling: bool) -> Reply:
        """`GET …/sobjects`: every object this org answers queries on."""
        schemas = self.database(tooling).schemas
        return 200, JSON, json.dumps(
            rest_describe.global_describe(schemas, version, tooling)).encode()

    def sobject_info(self, version: str, name: str, tooling: bool, *, full: bool) -> Reply:
        """`GET …/sobjects/{name}` (basic info) or `…/{name}/describe` (full describe)."""
        db = self.database(tooling)
        try:
            sobject = db.schema(name)
        except soql.SoqlError:
            return rest_error(404, "NOT_FOUND", "The requested resource does not exist")
        body = (rest_describe.describe(sobject, db.schemas, version, tooling) if full
                else rest_describe.basic_info(sobject, version, tooling))
        return 200, JSON, json.dumps(body).encode()

    def record_count(self, query_string: str) -> Reply:
        return self._record_count(parse_qs(query_string).get("sObjects", [""])[0])

    def versions(self) -> Reply:
        body = [{"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
                for v in range(versions.MIN_VERSION, versions.MAX_VERSION + 1)]
        return 200, JSON, json.dumps(body).encode()

    @staticmethod
    def _resources(version: str, tooling: bool) -> dict:
        base = f"/services/data/{version}" + ("/tooling" if tooling else "")
        names = ["sobjects", "query", "queryAll", "search"] + ([] if tooling else [
            "limits", "recent", "tooling", "composite", "analytics", "connect"])
        return {n: f"{base}/{n}" for n in names}

    # --- data ---------------------------------------------------------------------------
    def database(self, tooling: bool = False) -> soql.Database:
        """The org's queryable rows; the Tooling API adds SourceMember on orgs with tracking."""
        org = self.org
        profiles = {u.profile for u in org.users}
        license = rest_objects.license_id(org)
        profile_rows = [{"Id": profile_id(org, p), "Name": p, "UserType": "Standard",
                         "UserLicenseId": license} for p in sorted(profiles)]
        users = [{
            "Id": u.id, "Username": u.username, "Name": u.name, "FirstName": u.first_name or None,
            "LastName": u.last_name, "Email": u.email, "IsActive": u.is_active,
            "ProfileId": profile_id(org, u.profile), "UserType": "Standard",
            "CreatedDate": u.created_date, "LastModifiedDate": u.created_date,
            "TimeZoneSidKey": "America/Los_Angeles", "LanguageLocaleKey": "en_US",
            "LastLoginDate": org.last_login(u),
        } for u in org.users]
        organization = [{
            "Id": org.org_id, "Name": org.org_name, "IsSandbox": org.is_sandbox,
            "InstanceName": org.instance_name,
            "OrganizationType": "Developer Edition" if org.is_sandbox else "Enterprise Edition",
            "NamespacePrefix": None, "CreatedDate": org.created_date, "TrialExpirationDate": None,
            "LanguageLocaleKey": "en_US", "DefaultLocaleSidKey": "en_US",
            "TimeZoneSidKey": "America/Los_Angeles", "Country": None,
        }]
        audit = [{
            "Id": r["Id"], "Action": r["Action"], "Section": r["Section"],
            "CreatedDate": r["CreatedDate"], "CreatedById": r["CreatedById"],
            "Display": r["Display"], "DelegateUser": r.get("DelegateUser"),
            "ResponsibleNamespacePrefix": None,
        } for r in org.audit_trail()]
        tables = {"Organization": organization, "User": users, "Profile": profile_rows,
                  "SetupAuditTrail": audit, **rest_groups.rows(org),
                  **rest_objects.tables(org)}
        # usage data (`sfenv adoption`): custom object records, logins, assignments, page views
        base = {**SCHEMAS, **rest_usage.schemas(org, SCHEMAS)}
        tables.update(rest_usage.rows(org, tables))
        if not tooling:
            return soql.Database(base, tables)
        schemas = {**base, **rest_objects.TOOLING_SCHEMAS}
        tables.update(rest_objects.tooling_tables(org))
        if org.source_tracking:
            schemas["SourceMember"] = SOURCE_MEMBER
            tables["SourceMember"] = org.source_member_rows()
        return soql.Database(schemas, tables)

    def _record_json(self, db: soql.Database, sobject: soql.SObject, row: dict,
                     paths: list[tuple[str, ...]], version: str, tooling: bool) -> dict:
        out: dict = {"attributes": _attributes(sobject.name, row.get("Id"), version, tooling)}
        for path in paths:
            target, obj, current = out, row, sobject
            for rel in path[:-1]:
                related_schema, related = db.related(current, obj, rel)
                if related is None:
                    target[rel] = None
                    break
                if not isinstance(target.get(rel), dict):
                    target[rel] = {"attributes": _attributes(related_schema.name, related["Id"],
                                                             version, tooling)}
                target, obj, current = target[rel], related, related_schema
            else:
                value = obj.get(path[-1])
                if current.fields[path[-1]] == "datetime":
                    value = _sf_rest_datetime(value)
                target[path[-1]] = value
        return out

    def _query(self, version: str, text: str, tooling: bool) -> Reply:
        if not text.strip():
            return rest_error(400, "MALFORMED_QUERY", "unexpected token: '<EOF>'")
        try:
            parsed = soql.parse(text)
            db = with_deploy_requests(self.database(tooling), self.org) if tooling else self.database(tooling)
            if parsed.is_aggregate:
                results = db.aggregate(parsed)
                return 200, JSON, json.dumps(self._page(version, tooling, results,
                                                        len(results))).encode()
            sobject, paths, rows, total = db.run(parsed)
        except soql.SoqlError as err:
            return rest_error(400, err.code, err.message)
        if parsed.count:
            body = {"totalSize": total, "done": True, "records": []}
            return 200, JSON, json.dumps(body).encode()
        records = [self._record_json(db, sobject, r, paths, version, tooling) for r in rows]
        return 200, JSON, json.dumps(self._page(version, tooling, records, len(records))).encode()

    def _page(self, version: str, tooling: bool, records: list[dict], total: int) -> dict:
        body = {"totalSize": total, "done": len(records) <= BATCH_SIZE,
                "records": records[:BATCH_SIZE]}
        if len(records) > BATCH_SIZE:
            cursor = f"01g5g00000{secrets.token_hex(4)}"
            with self._lock:
                self._cursors[cursor] = (version, tooling, records[BATCH_SIZE:], total)
                while len(self._cursors) > _CURSORS_KEPT:
                    self._cursors.popitem(last=False)
            base = f"/services/data/{version}" + ("/tooling" if tooling else "")
            body["nextRecordsUrl"] = f"{base}/query/{cursor}-{BATCH_SIZE}"
        return body

    def more(self, locator: str) -> Reply:
        cursor = locator.rsplit("-", 1)[0]
        with self._lock:
            entry = self._cursors.pop(cursor, None)
        if entry is None:
            return rest_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        version, tooling, records, total = entry
        return 200, JSON, json.dumps(self._page(version, tooling, records, total)).encode()

    def record(self, version: str, name: str, record_id: str, tooling: bool) -> Reply:
        db = self.database(tooling)
        try:
            sobject = db.schema(name)
        except soql.SoqlError:
            return rest_error(404, "NOT_FOUND", "The requested resource does not exist")
        row = next((r for r in db.rows.get(sobject.name, []) if r["Id"][:15] == record_id[:15]),
                   None)
        if row is None or len(record_id) not in (15, 18):
            return rest_error(404, "NOT_FOUND", "The requested resource does not exist")
        paths = [(f,) for f in sobject.fields]
        return 200, JSON, json.dumps(
            self._record_json(db, sobject, row, paths, version, tooling)).encode()

    def _columns(self, text: str, tooling: bool) -> Reply:
        """`query?q=...&columns=true`: the query's column metadata, not its rows."""
        try:
            parsed = soql.parse(text)
            db = self.database(tooling)
            body = soql_columns.column_metadata(db, parsed)
        except soql.SoqlError as err:
            return rest_error(400, err.code, err.message)
        return 200, JSON, json.dumps(body).encode()

    def _record_count(self, names: str) -> Reply:
        """`/limits/recordCount?sObjects=A,B`: `{"sObjects": [{"count", "name"}]}` for the
        objects asked (all when none), objects the org does not know left out."""
        db = self.database()
        wanted = [n.strip() for n in names.split(",") if n.strip()] or sorted(db.rows)
        counts = []
        for name in wanted:
            try:
                sobject = db.schema(name)
            except soql.SoqlError:
                continue
            counts.append({"count": len(db.rows.get(sobject.name, [])), "name": sobject.name})
        return 200, JSON, json.dumps({"sObjects": counts}).encode()

    def limits(self, limit_info: tuple[int, int] | None) -> Reply:
        """Salesforce's whole set of limits; API requests and Bulk 2.0 query jobs counted."""
        used = {"DailyBulkV2QueryJobs": self.bulk.created}
        return 200, JSON, json.dumps(rest_limits.limits(limit_info, used)).encode()


def _attributes(sobject: str, record_id: str | None, version: str, tooling: bool) -> dict:
    base = f"/services/data/{version}" + ("/tooling" if tooling else "")
    return {"type": sobject, "url": f"{base}/sobjects/{sobject}/{record_id}"}


