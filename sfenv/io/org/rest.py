"""The REST and Tooling API reads: SOQL queries, row counts, `/limits`, the setup audit trail
and the org's recent deploys (DeployRequest), through simple-salesforce's session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simple_salesforce.api import Salesforce

from sfenv.io.org.retry import Caller


class Rest:
    """`sf()` is the current simple-salesforce handle: a new login replaces it, and a retried
    call must use the new one."""

    def __init__(self, sf: Callable[[], Salesforce], caller: Caller) -> None:
        self.sf = sf
        self.caller = caller

    def query(self, soql: str, *, tooling: bool = False) -> list[dict[str, Any]]:
        """Every row of the query (following nextRecordsUrl), without `attributes`."""
        def run() -> list[dict[str, Any]]:
            sf = self.sf()
            if tooling:
                result = sf.toolingexecute("query/", params={"q": soql})
                records = list(result.get("records", []))
                while not result.get("done", True) and result.get("nextRecordsUrl"):
                    result = sf.query_more(result["nextRecordsUrl"], identifier_is_url=True)
                    records.extend(result.get("records", []))
                return records
            return list(sf.query_all(soql).get("records", []))

        records = self.caller.call("query", run)
        for record in records:
            record.pop("attributes", None)
        return records

    def count(self, soql: str, *, tooling: bool = False) -> int:
        """The row count of a `SELECT COUNT() …` query (its totalSize; no rows come back)."""
        def run() -> int:
            sf = self.sf()
            if tooling:
                return int(sf.toolingexecute("query/", params={"q": soql})["totalSize"])
            return int(sf.query(soql)["totalSize"])

        return self.caller.call("query", run)

    def limits(self) -> dict[str, Any]:
        """The org's `/limits` (name -> {Max, Remaining, …})."""
        return dict(self.caller.call("limits", lambda: self.sf().restful("limits")) or {})

    def audit_trail(self, since: str | None = None, limit: int = 2000) -> list[dict[str, Any]]:
        """SetupAuditTrail rows, newest first, flattened (`CreatedBy.Name` ->
        `CreatedByName`)."""
        where = f" WHERE CreatedDate >= {since}" if since else ""
        soql = ("SELECT Id, CreatedDate, CreatedBy.Name, Action, Section, Display, DelegateUser "
                f"FROM SetupAuditTrail{where} ORDER BY CreatedDate DESC LIMIT {limit}")
        rows = []
        for record in self.query(soql):
            created_by = record.pop("CreatedBy", None) or {}
            if isinstance(created_by, dict):
                created_by.pop("attributes", None)
                record["CreatedByName"] = created_by.get("Name")
            rows.append(record)
        return rows

    def recent_deploys(self, since: str) -> list[dict[str, Any]]:
        """The org's real (not check-only) deploys created at or after `since` (UTC,
        `2026-12-06T13:00:00Z`), oldest first, from the Tooling API's DeployRequest: what a
        submit whose answer was lost may have started."""
        rows = self.query("SELECT Id, Status, CheckOnly, CreatedDate, CreatedBy.Username "
                          f"FROM DeployRequest WHERE CreatedDate >= {since} "
                          "ORDER BY CreatedDate", tooling=True)
        out = []
        for row in rows:
            if row.get("CheckOnly"):
                continue
            by = row.pop("CreatedBy", None) or {}
            row["CreatedByUsername"] = by.get("Username") if isinstance(by, dict) else None
            out.append(row)
        return out
