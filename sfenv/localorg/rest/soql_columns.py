"""A query's column metadata, as Salesforce answers `GET .../query?q=...&columns=true`
(the `sf data query` CLI asks for it to lay out its table and CSV):

    {"columnMetadata": [{"aggregate", "apexType", "booleanType", "columnName", "custom",
      "displayName", "foreignKeyName", "insertable", "joinColumns": [...], "numberType",
      "textType", "updatable"}], "entityName", "groupBy", "idSelected", "keyPrefix"}

A relationship path (`CreatedBy.Name`) is one column named after the relationship whose
`joinColumns` hold the next step. `SELECT COUNT()` has no columns.
"""

from __future__ import annotations

from sfenv.localorg.rest.soql import Database, Query, SObject

_APEX_TYPES = {"id": "Id", "string": "String", "boolean": "Boolean", "datetime": "Datetime", "date": "Date",
               "number": "Decimal"}
KEY_PREFIXES = {"User": "005", "Profile": "00e", "Organization": "00D",
                "SetupAuditTrail": "0Ym", "Group": "00G", "UserRole": "00E",
                "GroupMember": "011", "PermissionSet": "0PS", "PermissionSetAssignment": "0Pa",
                "SourceMember": "0MZ", "ApexClass": "01p", "EventLogFile": "0AT",
                "UserLicense": "100", "InstalledSubscriberPackage": "0A3"}


def column_metadata(db: Database, query: Query) -> dict:
    sobject = db.schema(query.sobject)
    columns: list[dict] = []
    if not query.count:
        for path in query.fields:
            canonical, ftype = db.resolve(sobject, path)
            _add(columns, db, sobject, canonical, ftype)
    return {
        "columnMetadata": columns,
        "entityName": sobject.name,
        "groupBy": False,
        "idSelected": any(c["columnName"] == "Id" for c in columns),
        "keyPrefix": KEY_PREFIXES.get(sobject.name),
    }


def _add(columns: list[dict], db: Database, sobject: SObject, path: tuple[str, ...],
         ftype: str) -> None:
    """Add `path` to `columns`, merging relationship steps into one joined column."""
    name = path[0]
    if len(path) == 1:
        columns.append(_column(name, ftype))
        return
    joined = next((c for c in columns if c["columnName"] == name and c["apexType"] is None),
                  None)
    if joined is None:
        joined = _column(name, None)
        columns.append(joined)
    target = db.schema(sobject.relationships[name][0])
    _add(joined["joinColumns"], db, target, path[1:], ftype)


def _column(name: str, ftype: str | None) -> dict:
    return {
        "aggregate": False,
        "apexType": _APEX_TYPES.get(ftype or "", "String") if ftype else None,
        "booleanType": ftype == "boolean",
        "columnName": name,
        "custom": name.endswith("__c"),
        "displayName": name,
        "foreignKeyName": None,
        "insertable": False,
        "joinColumns": [],
        "numberType": ftype == "number",
        "textType": ftype in ("string", "id"),
        "updatable": False,
    }
