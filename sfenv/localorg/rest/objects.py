"""The setup objects tools read besides users and the audit trail: Tooling `ApexClass` and
`InstalledSubscriberPackage`, `EventLogFile`, `UserLicense`, Tooling `ReleaseUpdate`.

Rows are derived from the org's files and state, never invented per call: Apex classes from
`classes/*.cls` (ids as listMetadata gives them), licenses from the users, no installed
packages (the local org installs none), no event log files (Event Monitoring is a paid add-on
and the org records no events), release updates as an empty list (none is due). Field names
and types follow Salesforce's object reference; only the fields listed are queryable.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

from sfenv.localorg.rest import soql
from sfenv.localorg.state import OrgState
from sfenv.localorg.state.ids import component_id, stable_id

SCHEMAS = {
    "EventLogFile": soql.SObject("EventLogFile", {
        "Id": "id", "EventType": "string", "LogDate": "datetime", "LogFileLength": "number",
        "LogFile": "string", "Interval": "string", "Sequence": "number", "ApiVersion": "number",
        "CreatedDate": "datetime", "CreatedById": "id", "LastModifiedDate": "datetime",
        "LogFileContentType": "string", "LogFileFieldNames": "string",
        "LogFileFieldTypes": "string",
    }),
    "UserLicense": soql.SObject("UserLicense", {
        "Id": "id", "Name": "string", "MasterLabel": "string", "LicenseDefinitionKey": "string",
        "Status": "string", "TotalLicenses": "number", "UsedLicenses": "number",
        "UsedLicensesLastUpdated": "datetime", "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    }),
}

TOOLING_SCHEMAS = {
    "ApexClass": soql.SObject("ApexClass", {
        "Id": "id", "Name": "string", "NamespacePrefix": "string", "ApiVersion": "number",
        "Status": "string", "IsValid": "boolean", "LengthWithoutComments": "number",
        "Body": "string", "BodyCrc": "number", "ManageableState": "string",
        "CreatedDate": "datetime", "CreatedById": "id", "LastModifiedDate": "datetime",
        "LastModifiedById": "id", "SystemModstamp": "datetime",
    }, {"CreatedBy": ("User", "CreatedById"), "LastModifiedBy": ("User", "LastModifiedById")}),
    "InstalledSubscriberPackage": soql.SObject("InstalledSubscriberPackage", {
        "Id": "id", "SubscriberPackageId": "id", "SubscriberPackageVersionId": "id",
        "MinPackageVersionId": "id",
    }, {"SubscriberPackage": ("SubscriberPackage", "SubscriberPackageId"),
        "SubscriberPackageVersion": ("SubscriberPackageVersion", "SubscriberPackageVersionId")}),
    # what `sf package installed list` reads through InstalledSubscriberPackage
    "SubscriberPackage": soql.SObject("SubscriberPackage", {
        "Id": "id", "Name": "string", "NamespacePrefix": "string", "Description": "string",
        "IsPackageValid": "boolean",
    }),
    "SubscriberPackageVersion": soql.SObject("SubscriberPackageVersion", {
        "Id": "id", "Name": "string", "SubscriberPackageId": "id", "MajorVersion": "number",
        "MinorVersion": "number", "PatchVersion": "number", "BuildNumber": "number",
        "IsBeta": "boolean", "IsManaged": "boolean", "Package2ContainerOptions": "string",
        "ReleaseState": "string",
    }),
    "ReleaseUpdate": soql.SObject("ReleaseUpdate", {
        "Id": "id", "ApiVersion": "number", "Category": "string", "Description": "string",
        "DeveloperName": "string", "DueDate": "date", "DurableId": "string",
        "HasNewSteps": "boolean", "IsReleased": "boolean", "NumCompSteps": "number",
        "NumReqSteps": "number", "ReleaseLabel": "string", "Status": "string",
        "Title": "string",
    }),
}

# Salesforce's license names and keys for the two licenses every org has
_LICENSES = (("Salesforce", "SFDC", 10), ("Salesforce Platform", "AUL", 10))
_API_VERSION = re.compile(rb"<apiVersion>\s*([0-9.]+)\s*</apiVersion>")
_STATUS = re.compile(rb"<status>\s*(\w+)\s*</status>")


def license_rows(org: OrgState) -> list[dict]:
    """One row per license; every local user holds a full Salesforce license."""
    used = sum(1 for u in org.users if u.is_active)
    rows = []
    for name, key, total in _LICENSES:
        taken = used if key == "SFDC" else 0
        rows.append({
            "Id": stable_id("100", org.org_id, "UserLicense", key),
            "Name": name, "MasterLabel": name, "LicenseDefinitionKey": key, "Status": "Active",
            "TotalLicenses": max(total, taken), "UsedLicenses": taken,
            "UsedLicensesLastUpdated": org.created_date, "CreatedDate": org.created_date,
            "LastModifiedDate": org.created_date,
        })
    return rows


def license_id(org: OrgState, key: str = "SFDC") -> str:
    return next(r["Id"] for r in license_rows(org) if r["LicenseDefinitionKey"] == key)


def apex_class_rows(org: OrgState) -> list[dict]:
    """Tooling ApexClass rows from `classes/*.cls` and their -meta.xml (Body included)."""
    folder = Path(org.metadata_dir) / "classes"
    rows: list[dict] = []
    if not folder.is_dir():
        return rows
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.name.endswith(".cls") and e.is_file())
    for file_name in names:
        name = file_name[: -len(".cls")]
        body = (folder / file_name).read_bytes()
        meta_path = folder / f"{file_name}-meta.xml"
        meta = meta_path.read_bytes() if meta_path.exists() else b""
        version = _API_VERSION.search(meta)
        status = _STATUS.search(meta)
        props = org.component_props(f"ApexClass:{name}")
        text = body.decode("utf-8", "replace")
        rows.append({
            "Id": component_id(org.org_id, "ApexClass", name), "Name": name,
            "NamespacePrefix": None,
            "ApiVersion": float(version.group(1)) if version else None,
            "Status": status.group(1).decode() if status else "Active", "IsValid": True,
            "LengthWithoutComments": len(_strip_comments(text)), "Body": text,
            "BodyCrc": zlib.crc32(body), "ManageableState": "unmanaged",
            "CreatedDate": props["createdDate"], "CreatedById": props["createdById"],
            "LastModifiedDate": props["lastModifiedDate"],
            "LastModifiedById": props["lastModifiedById"],
            "SystemModstamp": props["lastModifiedDate"],
        })
    return rows


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.DOTALL)


def tables(org: OrgState) -> dict[str, list[dict]]:
    """Rows of the REST objects of this module."""
    return {"EventLogFile": [], "UserLicense": license_rows(org)}


def tooling_tables(org: OrgState) -> dict[str, list[dict]]:
    """Rows of the Tooling objects of this module."""
    return {"ApexClass": apex_class_rows(org), "InstalledSubscriberPackage": [],
            "SubscriberPackage": [], "SubscriberPackageVersion": [], "ReleaseUpdate": []}
