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
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from functools import cache
from pathlib import Path

from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.errors import MetadataError
from sfenv.localorg.rest import soql
from sfenv.localorg.state import OrgState
from sfenv.localorg.state import usage as usage_state
from sfenv.localorg.state.ids import component_id

# a CustomField <type> -> the SOQL engine's field type
FIELD_TYPES = {"Checkbox": "boolean", "Number": "number", "Currency": "number",
               "Percent": "number", "Date": "datetime", "DateTime": "datetime",
               "Lookup": "id", "MasterDetail": "id", "LongTextArea": "textarea",
               "Html": "textarea", "MultiselectPicklist": "string"}
RECORD_FIELDS = {"Id": "id", "Name": "string", "CreatedDate": "datetime",
                 "LastModifiedDate": "datetime", "CreatedById": "id",
                 "LastModifiedById": "id", "OwnerId": "id"}
RECORD_LINKS = {"CreatedBy": ("User", "CreatedById"), "Owner": ("User", "OwnerId")}

_LISTINGS: dict[tuple, list[dict]] = {}  # a folder's rows per its state (see _reports)

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
    GroupMember (with its date) only replaces a GroupMember the org's `base` tables offer.
    An object's fields are read from its file when a query first asks for them, so a query
    on other tables costs one directory listing, not a parse of every object file."""
    found = {name: schema for name, schema in FIXED.items()
             if name != "GroupMember" or name in base}
    return {**found, **_object_schemas(org)}


_OBJECTS: dict[tuple[str, int, int], dict[str, soql.SObject]] = {}


def _object_schemas(org: OrgState) -> dict[str, soql.SObject]:
    """One schema per object file, built again only when the folder or the org's metadata
    changed (a file added or removed, a deploy or hand change: `content_generation`)."""
    directory = Path(org.metadata_dir) / "objects"
    try:
        key = (str(directory), os.stat(directory).st_mtime_ns, org.content_generation)
    except OSError:
        return {}
    cached = _OBJECTS.get(key)
    if cached is None:
        cached = {}
        for entry in os.scandir(directory):
            if entry.name.endswith(".object"):
                name = entry.name[: -len(".object")]
                cached[name] = soql.SObject(name, _LazyFields(entry.path), dict(RECORD_LINKS))
        if len(_OBJECTS) > 8:
            _OBJECTS.clear()
        _OBJECTS[key] = cached
    return cached


class _LazyFields(dict[str, str]):
    """The standard record fields plus the object file's custom fields, read on first use."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self._path: str | None = path

    def _load(self) -> None:
        if self._path is not None:
            path, self._path = self._path, None
            try:
                stat = os.stat(path)
                declared = _object_fields(path, stat.st_mtime_ns, stat.st_size)
            except OSError:
                declared = ()
            self.update({**RECORD_FIELDS, **dict(declared)})

    def __getitem__(self, key: str) -> str:
        self._load()
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[str]:
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def __contains__(self, key: object) -> bool:
        self._load()
        return super().__contains__(key)

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self._load()
        return super().get(key, default)

    def items(self) -> ItemsView[str, str]:  # type: ignore[override]
        self._load()
        return super().items()

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        self._load()
        return super().keys()

    def values(self) -> ValuesView[str]:  # type: ignore[override]
        self._load()
        return super().values()


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
                                       tables.get("Group", []), data["group_member_dates"])
    out["Report"] = _reports(org, data["report_runs"])
    out["LightningUsageByFlexiPageMetrics"] = list(data["page_views"])
    out["FlowInterviewLog"] = list(data["flow_interviews"])
    return out


def _member_dates(org: OrgState, members: list[dict], groups: list[dict],
                  dates: dict[str, str]) -> list[dict]:
    """GroupMember rows with SystemModstamp: the seeded join date, else the org's creation."""
    if not members:
        return []
    names: dict[str, str] = {u.id: u.username.lower() for u in org.users}
    group_names = {g["Id"]: g["DeveloperName"] for g in groups}
    out = []
    for member in members:
        key = f"{group_names.get(member['GroupId'], '')}|" \
              f"{names.get(member['UserOrGroupId'], group_names.get(member['UserOrGroupId'], ''))}"
        out.append({**member, "SystemModstamp": dates.get(key.lower(), org.created_date)})
    return out


def _permission_sets(org: OrgState) -> list[dict]:
    directory = Path(org.metadata_dir) / "permissionsets"
    try:
        key = (str(directory), os.stat(directory).st_mtime_ns)
    except OSError:
        return []
    cached = _LISTINGS.get(key)
    if cached is None:
        cached = [{"Id": component_id(org.org_id, "PermissionSet", name), "Name": name,
                   "Label": name.replace("_", " "), "IsOwnedByProfile": False}
                  for name in sorted(e.name[: -len(".permissionset")]
                                     for e in os.scandir(directory)
                                     if e.name.endswith(".permissionset"))]
        _remember(key, cached)
    return cached


def _remember(key: tuple, rows: list[dict]) -> None:
    """Keep a listing for its folder state (a few states at most: old ones are dropped)."""
    if len(_LISTINGS) > 16:
        _LISTINGS.clear()
    _LISTINGS[key] = rows


def _reports(org: OrgState, runs: dict[str, str]) -> list[dict]:
    """Report rows (one per file under reports/FOLDER/), listed again only when a folder
    changed; LastRunDate from the seeded runs."""
    directory = Path(org.metadata_dir) / "reports"
    if not directory.is_dir():
        return []
    folders = sorted((e for e in os.scandir(directory) if e.is_dir()), key=lambda e: e.name)
    key = (str(directory), org.org_id, org.created_date,
           tuple((f.name, f.stat().st_mtime_ns) for f in folders))
    cached = _LISTINGS.get(key)
    if cached is None:
        cached = []
        for folder in folders:
            for entry in sorted(os.scandir(folder.path), key=lambda e: e.name):
                if not entry.name.endswith(".report"):
                    continue
                name = entry.name[: -len(".report")]
                cached.append({"Id": component_id(org.org_id, "Report", f"{folder.name}/{name}"),
                               "Name": name, "DeveloperName": name, "FolderName": folder.name,
                               "LastRunDate": None, "CreatedDate": org.created_date})
        _remember(key, cached)
    if not runs:
        return cached
    return [{**row, "LastRunDate": runs[full]} if (full := f"{row['FolderName']}/"
                                                          f"{row['DeveloperName']}") in runs
            else row for row in cached]


@cache
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


def record_object(org: OrgState, sobject: str) -> soql.SObject | None:
    """The record table `sobject` as queries see it (None when the org has no such object
    file): what a usage data file may add rows to, with the fields it may fill."""
    return _object_schemas(org).get(sobject)
