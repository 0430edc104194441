"""Usage objects for REST `/query`, as a production org serves them: custom-object records
(with `CreatedDate`, `LastModifiedDate`, `CreatedById` and the fields the object's metadata
declares), `LoginHistory`, `PermissionSet`/`PermissionSetAssignment`, `GroupMember` with its
`SystemModstamp`, `Report` with `LastRunDate`, `LightningUsageByFlexiPageMetrics` and
`FlowInterviewLog`. The rows come from `state/usage.py`; the schemas from the org's metadata
files (objects/*.object, reports/, permissionsets/), so a field the org lacks is INVALID_FIELD
as in Salesforce, and a long text area is typed `textarea`, which SOQL cannot filter on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from sfenv.errors import MetadataError
from sfenv.localorg.rest import soql
from sfenv.localorg.state import OrgState
from sfenv.localorg.state import usage as usage_state
from sfenv.localorg.state.ids import component_id
from sfenv.metadata.xmlio import local_name, parse_xml

# a CustomField <type> -> the SOQL engine's field type
FIELD_TYPES = {"Checkbox": "boolean", "Number": "number", "Currency": "number",
               "Percent": "number", "Date": "datetime", "DateTime": "datetime",
               "Lookup": "id", "MasterDetail": "id", "LongTextArea": "textarea",
               "Html": "textarea", "MultiselectPicklist": "string"}
RECORD_FIELDS = {"Id": "id", "Name": "string", "CreatedDate": "datetime",
                 "LastModifiedDate": "datetime", "CreatedById": "id",
                 "LastModifiedById": "id", "OwnerId": "id"}
RECORD_LINKS = {"CreatedBy": ("User", "CreatedById"), "Owner": ("User", "OwnerId")}

FIXED = {
    "LoginHistory": soql.SObject("LoginHistory", {
        "Id": "id", "UserId": "id", "LoginTime": "datetime", "Status": "string",
        "LoginType": "string", "Application": "string"}),
    "PermissionSet": soql.SObject("PermissionSet", {
        "Id": "id", "Name": "string", "Label": "string", "IsOwnedByProfile": "boolean"}),
    "PermissionSetAssignment": soql.SObject("PermissionSetAssignment", {
        "Id": "id", "AssigneeId": "id", "PermissionSetId": "id", "SystemModstamp": "datetime"},
        {"PermissionSet": ("PermissionSet", "PermissionSetId"),
         "Assignee": ("User", "AssigneeId")}),
    "GroupMember": soql.SObject("GroupMember", {
        "Id": "id", "GroupId": "id", "UserOrGroupId": "id", "SystemModstamp": "datetime"},
        {"Group": ("Group", "GroupId")}),
    "Report": soql.SObject("Report", {
        "Id": "id", "Name": "string", "DeveloperName": "string", "FolderName": "string",
        "LastRunDate": "datetime", "CreatedDate": "datetime"}),
    "LightningUsageByFlexiPageMetrics": soql.SObject("LightningUsageByFlexiPageMetrics", {
        "Id": "id", "FlexiPageNameOrId": "string", "FlexiPageType": "string",
        "MetricsDate": "datetime", "TotalCount": "number"}),
    "FlowInterviewLog": soql.SObject("FlowInterviewLog", {
        "Id": "id", "FlowDeveloperName": "string", "InterviewStatus": "string",
        "CreatedDate": "datetime", "CreatedById": "id", "InterviewStartTimestamp": "datetime",
        "InterviewEndTimestamp": "datetime"}, {"CreatedBy": ("User", "CreatedById")}),
}


def schemas(org: OrgState, base: Mapping[str, soql.SObject]) -> dict[str, soql.SObject]:
    """The usage tables' schemas: the fixed objects plus one per object file in the org.
    GroupMember (with its date) only replaces a GroupMember the org's `base` tables offer."""
    found = {name: schema for name, schema in FIXED.items()
             if name != "GroupMember" or name in base}
    directory = Path(org.metadata_dir) / "objects"
    if directory.is_dir():
        for entry in os.scandir(directory):
            if entry.name.endswith(".object") and entry.is_file():
                name = entry.name[: -len(".object")]
                stat = entry.stat()
                fields = _object_fields(entry.path, stat.st_mtime_ns, stat.st_size)
                found[name] = soql.SObject(name, {**RECORD_FIELDS, **dict(fields)},
                                           dict(RECORD_LINKS))
    return found


def rows(org: OrgState, tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The usage tables' rows; `tables` are the org's other tables (GroupMember gets its date)."""
    data = usage_state.load(org)
    out: dict[str, list[dict]] = {name: [dict(r) for r in found]
                                  for name, found in data["records"].items()}
    out["LoginHistory"] = list(data["logins"])
    permsets = _permission_sets(org)
    by_name = {p["Name"]: p["Id"] for p in permsets}
    out["PermissionSet"] = permsets
    out["PermissionSetAssignment"] = [
        {"Id": a["Id"], "AssigneeId": a["AssigneeId"], "SystemModstamp": a["SystemModstamp"],
         "PermissionSetId": by_name.get(a["PermissionSet"])}
        for a in data["permission_set_assignments"] if a["PermissionSet"] in by_name]
    out["GroupMember"] = _member_dates(org, tables.get("GroupMember", []),
                                       data["group_member_dates"])
    out["Report"] = _reports(org, data["report_runs"])
    out["LightningUsageByFlexiPageMetrics"] = list(data["page_views"])
    out["FlowInterviewLog"] = list(data["flow_interviews"])
    return out


def _member_dates(org: OrgState, members: list[dict], dates: dict[str, str]) -> list[dict]:
    """GroupMember rows with SystemModstamp: the seeded join date, else the org's creation."""
    if not members:
        return []
    names: dict[str, str] = {u.id: u.username.lower() for u in org.users}
    group_names = {g["Id"]: g["DeveloperName"] for g in _groups(org)}
    out = []
    for member in members:
        key = f"{group_names.get(member['GroupId'], '')}|" \
              f"{names.get(member['UserOrGroupId'], group_names.get(member['UserOrGroupId'], ''))}"
        out.append({**member, "SystemModstamp": dates.get(key.lower(), org.created_date)})
    return out


def _groups(org: OrgState) -> list[dict]:
    from sfenv.localorg.rest import groups as rest_groups
    return rest_groups.rows(org)["Group"]


def _permission_sets(org: OrgState) -> list[dict]:
    directory = Path(org.metadata_dir) / "permissionsets"
    if not directory.is_dir():
        return []
    return [{"Id": component_id(org.org_id, "PermissionSet", name), "Name": name,
             "Label": name.replace("_", " "), "IsOwnedByProfile": False}
            for name in sorted(e.name[: -len(".permissionset")] for e in os.scandir(directory)
                               if e.name.endswith(".permissionset"))]


def _reports(org: OrgState, runs: dict[str, str]) -> list[dict]:
    directory = Path(org.metadata_dir) / "reports"
    if not directory.is_dir():
        return []
    out = []
    for folder in sorted((e for e in os.scandir(directory) if e.is_dir()), key=lambda e: e.name):
        for entry in sorted(os.scandir(folder.path), key=lambda e: e.name):
            if not entry.name.endswith(".report"):
                continue
            name = entry.name[: -len(".report")]
            full = f"{folder.name}/{name}"
            out.append({"Id": component_id(org.org_id, "Report", full), "Name": name,
                        "DeveloperName": name, "FolderName": folder.name,
                        "LastRunDate": runs.get(full), "CreatedDate": org.created_date})
    return out


@lru_cache(maxsize=1024)
def _object_fields(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, str], ...]:
    """(field name, SOQL type) of the custom fields one object file declares; cached per file
    version. An unreadable file declares none (its object keeps the standard fields)."""
    try:
        root = parse_xml(Path(path).read_bytes(), path)
    except (OSError, MetadataError):
        return ()
    out = []
    for el in root:
        if not isinstance(el.tag, str) or local_name(el) != "fields":
            continue
        values = {local_name(c): (c.text or "").strip() for c in el if isinstance(c.tag, str)}
        if values.get("fullName"):
            out.append((values["fullName"], FIELD_TYPES.get(values.get("type", ""), "string")))
    return tuple(out)
