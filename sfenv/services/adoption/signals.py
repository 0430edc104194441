"""The org reads behind each signal: one COUNT per field, one total per object, one query per
metric object, each counted. A read the org refuses because it does not offer the object or
field (INVALID_TYPE, INVALID_FIELD, NOT_FOUND...) makes that signal `unknown` with the org's
words; any other failure (network, session, request limit) is raised: exit 3, nothing faked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from sfenv.errors import OrgError

ROW_CAP = 50_000  # rows read to page a long text area; above: unknown
IN_CHUNK = 200  # ids per IN (...) list
NOT_OFFERED = ("INVALID_TYPE", "INVALID_FIELD", "NOT_FOUND", "INSUFFICIENT_ACCESS",
               "MALFORMED_QUERY", "API_DISABLED_FOR_ORG", "FUNCTIONALITY_NOT_ENABLED")


class UsageOrg(Protocol):
    """What adoption asks of an org (`AdoptionOrg` over `sfenv.io.org.client.OrgClient`)."""

    def count(self, soql: str) -> int: ...
    def query(self, soql: str) -> list[dict]: ...


class Unavailable(Exception):
    """The org does not offer what a signal reads: the signal is unknown, for this reason."""


@dataclass
class CallLog:
    """Every read of the run, in order: the count and the SOQL are in --json."""

    calls: list[str] = field(default_factory=list)


class CountingOrg:
    """Counts and logs each read; turns the org's "not offered" errors into Unavailable."""

    def __init__(self, org: UsageOrg, log: CallLog) -> None:
        self.org = org
        self.log = log
        self._cache: dict[str, int | list[dict]] = {}

    def _run(self, kind: str, soql: str, read: Callable[[str], int | list[dict]]
             ) -> int | list[dict]:
        key = f"{kind} {soql}"
        if key in self._cache:
            return self._cache[key]
        self.log.calls.append(soql)
        try:
            result = read(soql)
        except OrgError as err:
            if err.code in NOT_OFFERED or any(code in str(err) for code in NOT_OFFERED):
                raise Unavailable(str(err)) from err
            raise
        self._cache[key] = result
        return result

    def count(self, soql: str) -> int:
        result = self._run("count", soql, self.org.count)
        assert isinstance(result, int)
        return result

    def query(self, soql: str) -> list[dict]:
        result = self._run("query", soql, self.org.query)
        assert isinstance(result, list)
        return result


def soql_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


Figures = dict[str, float | int | str | None | dict[str, int]]


def field_fill(org: CountingOrg, obj: str, name: str, kind: str, t0: datetime) -> Figures:
    """Fill rate of `obj.name` on records created or modified since T0. `kind`: the field's
    type (Checkbox counts `= true`; LongTextArea and Html are paged, not filtered)."""
    since = f"LastModifiedDate >= {soql_time(t0)}"
    total = org.count(f"SELECT COUNT() FROM {obj} WHERE {since}")
    figures: Figures = {"records": total, "filled": None, "fill_rate": None}
    if kind in ("LongTextArea", "Html"):
        if total > ROW_CAP:
            figures["unknown_why"] = (f"{total} records: a long text area cannot be filtered "
                                      f"in SOQL and paging more than {ROW_CAP} is not done")
            return figures
        rows = org.query(f"SELECT {name} FROM {obj} WHERE {since}")
        filled = sum(1 for r in rows if str(r.get(name) or "").strip())
    else:
        cond = f"{name} = true" if kind == "Checkbox" else f"{name} != null"
        filled = org.count(f"SELECT COUNT() FROM {obj} WHERE {cond} AND {since}")
    figures["filled"] = filled
    figures["fill_rate"] = filled / total if total else None
    return figures


def object_records(org: CountingOrg, obj: str, t0: datetime,
                   grants: tuple[Collection[str], Collection[str]] | None = None) -> Figures:
    """Records created since T0, their distinct creators, and the eligible users: those whose
    profile or permission set grants creating `obj` (`grants`: profile names, permission set
    names), else every active user when no grant is known."""
    since = f"CreatedDate >= {soql_time(t0)}"
    records = org.count(f"SELECT COUNT() FROM {obj} WHERE {since}")
    creators = 0
    if records:   # one aggregate row, whatever the number of records
        [row] = org.query(f"SELECT COUNT_DISTINCT(CreatedById) creators FROM {obj} "
                          f"WHERE {since}")
        creators = int(row["creators"])
    profiles, permsets = grants or ((), ())
    if not profiles and not permsets:
        eligible = org.count("SELECT COUNT() FROM User WHERE IsActive = true")
        return {"records": records, "creators": creators, "eligible_users": eligible,
                "eligible_from": "every active user (no grant of the object in the snapshot)"}
    users: set[str] = set()
    if profiles:
        names = ", ".join(quote(p) for p in sorted(profiles))
        users |= {str(r["Id"]) for r in org.query(
            f"SELECT Id FROM User WHERE IsActive = true AND Profile.Name IN ({names})")}
    if permsets:
        names = ", ".join(quote(p) for p in sorted(permsets))
        users |= {str(r["AssigneeId"]) for r in org.query(
            "SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSet.Name IN "
            f"({names})")}
    return {"records": records, "creators": creators, "eligible_users": len(users),
            "eligible_from": "profiles: " + (", ".join(sorted(profiles)) or "none")
                             + "; permission sets: " + (", ".join(sorted(permsets)) or "none")}


def page_views(org: CountingOrg, page: str, t0: datetime, now: datetime) -> Figures:
    """Views per day of a Lightning page since T0's day, and the views of the last day."""
    rows = org.query("SELECT MetricsDate, TotalCount FROM LightningUsageByFlexiPageMetrics "
                     f"WHERE FlexiPageNameOrId = {quote(page)} AND MetricsDate >= "
                     f"{t0.astimezone(UTC).date().isoformat()}")
    per_day: dict[str, int] = defaultdict(int)
    for row in rows:
        day = str(row.get("MetricsDate") or "")[:10]
        if day:
            per_day[day] += int(float(row.get("TotalCount") or 0))
    days = max(0, (now.astimezone(UTC).date() - t0.astimezone(UTC).date()).days)
    last = (now.astimezone(UTC).date() - timedelta(days=1)).isoformat()
    return {"views": sum(per_day.values()), "views_per_day": dict(sorted(per_day.items())),
            "days": days, "days_with_views": sum(1 for v in per_day.values() if v > 0),
            "views_last_day": per_day.get(last, 0)}


def report_run(org: CountingOrg, full_name: str, t0: datetime) -> Figures:
    folder, _, name = full_name.rpartition("/")
    rows = org.query(f"SELECT FolderName, LastRunDate FROM Report WHERE DeveloperName = "
                     f"{quote(name)}")
    mine = [r for r in rows if not folder or str(r.get("FolderName") or "") == folder] or rows
    if not mine:
        raise Unavailable(f"no Report row named {name}")
    last = mine[0].get("LastRunDate")
    ran = bool(last) and parse_time(str(last)) >= t0
    return {"last_run": last, "ran_since_release": ran}


def flow_runs(org: CountingOrg, flow: str, t0: datetime) -> Figures:
    where = f"FlowDeveloperName = {quote(flow)} AND CreatedDate >= {soql_time(t0)}"
    runs = org.count(f"SELECT COUNT() FROM FlowInterviewLog WHERE {where}")
    errors = org.count(f"SELECT COUNT() FROM FlowInterviewLog WHERE {where} "
                       f"AND InterviewStatus = 'Error'") if runs else 0
    return {"runs": runs, "errors": errors, "error_rate": errors / runs if runs else None}


def audience(org: CountingOrg, members: Sequence[dict], t0: datetime, now: datetime) -> Figures:
    """Assignees (user ids, with when they were added) and how many logged in since T0."""
    users = sorted({str(m["user"]) for m in members})
    added = sum(1 for m in members if m.get("when") and parse_time(str(m["when"])) >= t0)
    active: set[str] = set()
    for start in range(0, len(users), IN_CHUNK):
        chunk = ", ".join(quote(u) for u in users[start:start + IN_CHUNK])
        rows = org.query(f"SELECT UserId FROM LoginHistory WHERE LoginTime >= {soql_time(t0)} "
                         f"AND LoginTime <= {soql_time(now)} AND UserId IN ({chunk})")
        active |= {str(r.get("UserId")) for r in rows}
    return {"members": len(users), "added_since_release": added, "active": len(active)}


def permission_set_members(org: CountingOrg, name: str) -> list[dict]:
    rows = org.query("SELECT AssigneeId, SystemModstamp FROM PermissionSetAssignment WHERE "
                     f"PermissionSet.Name = {quote(name)}")
    return [{"user": r["AssigneeId"], "when": r.get("SystemModstamp")} for r in rows
            if r.get("AssigneeId")]


def group_members(org: CountingOrg, name: str, group_type: str) -> list[dict]:
    """User members of a public group or queue (nested groups and roles are not expanded)."""
    rows = org.query("SELECT UserOrGroupId, SystemModstamp FROM GroupMember WHERE "
                     f"Group.DeveloperName = {quote(name)} AND Group.Type = {quote(group_type)}")
    return [{"user": r["UserOrGroupId"], "when": r.get("SystemModstamp")} for r in rows
            if str(r.get("UserOrGroupId") or "").startswith("005")]


def parse_time(text: str) -> datetime:
    """Salesforce's `...000+0000`, ISO `...Z`/`+00:00` and plain dates, timezone-aware (UTC)."""
    value = text.strip()
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
