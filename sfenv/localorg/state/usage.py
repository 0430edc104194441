"""Usage data of a local org: what people did with its metadata (records, logins, page views,
report runs, flow runs, assignments), kept in `.localorg/usage.json` beside state.json.

Why a file of its own: usage is data, seeded by tests and the demo (`seed_usage` and the
`add_*` helpers), and it grows with each seeded day; keeping it apart leaves state.json (the
org's setup) as it was. Rows are stored as REST serves them (`rest/usage_objects.py` turns
them into query tables), with Salesforce's dates. Seed users are named by username or full
name; an unknown user is a MetadataError naming it, never a row pointing at nobody.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfenv.errors import MetadataError
from sfenv.localorg.state.dates import normalize_datetime, sf_now
from sfenv.localorg.state.ids import new_id

if TYPE_CHECKING:
    from sfenv.localorg.state.org import OrgState

USAGE_FILE = "usage.json"
KINDS = ("records", "logins", "permission_set_assignments", "group_member_dates",
         "report_runs", "page_views", "flow_interviews")
Usage = dict[str, Any]  # JSON: row lists and name -> date maps
_cache: dict[str, tuple[tuple[int, int], Usage]] = {}
_batches: dict[str, Usage] = {}   # usage file -> its data while a batch() is open


def usage_path(org: OrgState) -> Path:
    return org.data_dir / ".localorg" / USAGE_FILE


def empty() -> Usage:
    return {"records": {}, "logins": [], "permission_set_assignments": [],
            "group_member_dates": {}, "report_runs": {}, "page_views": [],
            "flow_interviews": []}


def load(org: OrgState) -> Usage:
    """The org's usage data (empty when none was seeded); read once per file version."""
    path = usage_path(org)
    if str(path) in _batches:
        return _batches[str(path)]
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return empty()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(str(path))
    if cached and cached[0] == key:
        return cached[1]
    try:
        data = {**empty(), **json.loads(path.read_text("utf-8"))}
    except (OSError, ValueError) as err:
        raise MetadataError(f"{path}: not a usage file: {err}") from err
    _cache[str(path)] = (key, data)
    return data


@contextmanager
def batch(org: OrgState) -> Iterator[None]:
    """Many additions, one read and one write of the file (a data file of N rows is not N
    rewrites of a growing file); nothing is written if the block fails."""
    path = str(usage_path(org))
    with org.lock:
        _batches[path] = json.loads(json.dumps(load(org)))
        try:
            yield
            data = _batches.pop(path)
            _save(org, data)
        finally:
            _batches.pop(path, None)


def _save(org: OrgState, data: Usage) -> None:
    path = usage_path(org)
    if str(path) in _batches:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, path)


def _user_id(org: OrgState, who: str | None) -> str:
    if not who:
        return org.admin.id
    user = org.user_by_name(who)
    if user is None:
        raise MetadataError(f"usage seed: no user '{who}' in the local org")
    return user.id


def _when(value: str | None) -> str:
    return normalize_datetime(value) if value else sf_now()


def add_records(org: OrgState, sobject: str, rows: Iterable[Mapping[str, object]], *,
                by: str | None = None, when: str | None = None) -> list[str]:
    """Records of `sobject` created by `by` at `when` (each row may give its own `by`,
    `CreatedDate`, `LastModifiedDate`); returns their ids."""
    ids = []
    with org.lock:
        data = load(org)
        table = data["records"].setdefault(sobject, [])
        for raw in rows:
            row = dict(raw)
            created = _when(str(row.pop("CreatedDate", "") or when or ""))
            modified = _when(str(row.pop("LastModifiedDate", "") or created))
            user = _user_id(org, str(row.pop("by", "") or by or ""))
            row.update({"Id": new_id("a00"), "CreatedDate": created,
                        "LastModifiedDate": modified, "CreatedById": user,
                        "LastModifiedById": user, "OwnerId": user})
            row.setdefault("Name", row["Id"])
            table.append(row)
            ids.append(str(row["Id"]))
        _save(org, data)
    return ids


def add_logins(org: OrgState, who: str, times: Iterable[str], status: str = "Success") -> None:
    with org.lock:
        data = load(org)
        user = _user_id(org, who)
        for at in times:
            data["logins"].append({"Id": new_id("0Ya"), "UserId": user,
                                   "LoginTime": _when(at), "Status": status,
                                   "LoginType": "Application", "Application": "Browser"})
        _save(org, data)


def assign_permission_set(org: OrgState, permission_set: str, who: str,
                          when: str | None = None) -> None:
    with org.lock:
        data = load(org)
        data["permission_set_assignments"].append({
            "Id": new_id("0Pa"), "PermissionSet": permission_set,
            "AssigneeId": _user_id(org, who), "SystemModstamp": _when(when)})
        _save(org, data)


def set_member_date(org: OrgState, group: str, member: str, when: str) -> None:
    """When `member` (as in group_members: username or developer name) joined `group`."""
    with org.lock:
        data = load(org)
        data["group_member_dates"][f"{group}|{member}".lower()] = _when(when)
        _save(org, data)


def run_report(org: OrgState, report: str, when: str | None = None) -> None:
    """`report` ("Folder/DeveloperName") was run at `when`."""
    with org.lock:
        data = load(org)
        data["report_runs"][report] = _when(when)
        _save(org, data)


def add_page_views(org: OrgState, page: str, day: str, count: int,
                   page_type: str = "RecordPage") -> None:
    """`count` views of the Lightning page `page` on `day` (YYYY-MM-DD)."""
    date.fromisoformat(day)
    with org.lock:
        data = load(org)
        data["page_views"].append({
            "Id": new_id("0Hq"), "FlexiPageNameOrId": page, "FlexiPageType": page_type,
            "MetricsDate": day, "TotalCount": count})
        _save(org, data)


def add_flow_runs(org: OrgState, flow: str, when: str, status: str = "Completed",
                  count: int = 1, by: str | None = None) -> None:
    """`count` screen-flow interviews of `flow` ending with `status` (Completed, Error...)."""
    with org.lock:
        data = load(org)
        user = _user_id(org, by)
        for _ in range(count):
            data["flow_interviews"].append({
                "Id": new_id("0Fl"), "FlowDeveloperName": flow, "InterviewStatus": status,
                "CreatedDate": _when(when), "CreatedById": user,
                "InterviewStartTimestamp": _when(when), "InterviewEndTimestamp": _when(when)})
        _save(org, data)


def seed_usage(org: OrgState, spec: Mapping[str, Any]) -> None:
    """Seed from one mapping (a data file's content): `records: {Obj: [rows]}`,
    `logins: [{user, times}]`, `page_views: [{page, day, count}]`, `report_runs: {report:
    when}`, `flow_runs: [{flow, when, status, count}]`, `permission_sets: [{name, user,
    when}]`. An unknown key is a MetadataError."""
    known = {"records", "logins", "page_views", "report_runs", "flow_runs", "permission_sets"}
    for key in spec:
        if key not in known:
            raise MetadataError(f"usage seed: unknown key '{key}' (known: "
                                f"{', '.join(sorted(known))})")
    for sobject, rows in dict(spec.get("records") or {}).items():
        add_records(org, sobject, rows)
    for login in list(spec.get("logins") or []):
        add_logins(org, login["user"], login["times"])
    for view in list(spec.get("page_views") or []):
        add_page_views(org, view["page"], view["day"], int(view["count"]))
    for report, when in dict(spec.get("report_runs") or {}).items():
        run_report(org, report, when)
    for run in list(spec.get("flow_runs") or []):
        add_flow_runs(org, run["flow"], run["when"], run.get("status", "Completed"),
                      int(run.get("count", 1)))
    for assignment in list(spec.get("permission_sets") or []):
        assign_permission_set(org, assignment["name"], assignment["user"], assignment.get("when"))
