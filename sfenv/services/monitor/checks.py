"""The monitor's rules, as pure functions over what the org and the store answered.

Each returns `Finding`s: something a release manager must look at. Nothing here talks to an
org or a repository, so every rule is tested on plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

# DeployRequest statuses: the Metadata API's DeployStatus values.
FAILED_DEPLOY_STATES = ("Failed", "Canceled")
PENDING_DEPLOY_STATES = ("Pending", "InProgress", "Canceling")


@dataclass(frozen=True)
class Finding:
    """One thing that needs attention. `kind`: outside_change | backup_stale | backup_missing
    | limit_near | deploy_failed | deploy_pending."""

    kind: str
    env: str
    message: str
    who: str = ""
    when: str = ""
    what: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_time(value: str) -> datetime:
    """Salesforce's `2026-12-01T10:00:00.000+0000` and ISO forms alike, timezone-aware."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"no timezone in {value!r}")
    return parsed


def outside_changes(env: str, audit_rows: Iterable[Mapping[str, Any]],
                    release_users: Iterable[str]) -> list[Finding]:
    """Setup changes made by anyone but the release process's users, oldest first."""
    release = {u.casefold() for u in release_users}
    out = []
    for row in audit_rows:
        who = str(row.get("CreatedByName") or row.get("DelegateUser") or "unknown")
        if who.casefold() in release:
            continue
        what = str(row.get("Display") or row.get("Action") or "")
        section = str(row.get("Section") or "")
        out.append(Finding("outside_change", env, f"{who} changed {section or 'setup'}: {what}",
                           who=who, when=str(row.get("CreatedDate") or ""),
                           what=f"{section}: {what}" if section else what))
    return sorted(out, key=lambda f: f.when)


def backup_freshness(env: str, latest: datetime | None, now: datetime,
                     max_age_hours: float) -> list[Finding]:
    if latest is None:
        return [Finding("backup_missing", env, f"{env} has no backup: run `sfenv backup {env}`")]
    age = (now - latest).total_seconds() / 3600
    if age <= max_age_hours:
        return []
    return [Finding("backup_stale", env, f"the last backup of {env} is {age:.0f} h old (at most "
                                         f"{max_age_hours:g} h): run `sfenv backup {env}`",
                    when=latest.isoformat(timespec="seconds"))]


def limits_near(env: str, limits: Mapping[str, Any],
                thresholds: Mapping[str, float]) -> list[Finding]:
    """Each watched /limits entry whose used share reached its threshold."""
    out = []
    for name, threshold in sorted(thresholds.items()):
        entry = limits.get(name)
        if not isinstance(entry, Mapping):
            continue
        maximum, remaining = entry.get("Max"), entry.get("Remaining")
        if not isinstance(maximum, (int, float)) or not isinstance(remaining, (int, float)) \
                or maximum <= 0:
            continue
        used = (maximum - remaining) / maximum
        if used >= threshold:
            out.append(Finding("limit_near", env, f"{name}: {used:.0%} used ({maximum - remaining:g}"
                                                  f" of {maximum:g}; threshold {threshold:.0%})",
                               what=name))
    return out


def deployments(env: str, rows: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Failed and still pending deployments among the DeployRequest rows."""
    out = []
    for row in rows:
        status = str(row.get("Status") or "")
        who = str((row.get("CreatedBy") or {}).get("Name") or row.get("CreatedByName") or "")
        when = str(row.get("CreatedDate") or "")
        ident = str(row.get("Id") or "")
        check = " (validation)" if row.get("CheckOnly") else ""
        if status in FAILED_DEPLOY_STATES:
            out.append(Finding("deploy_failed", env, f"deployment {ident}{check} {status.lower()}"
                                                     + (f", started by {who}" if who else ""),
                               who=who, when=when, what=ident))
        elif status in PENDING_DEPLOY_STATES:
            out.append(Finding("deploy_pending", env, f"deployment {ident}{check} is still "
                                                      f"{status}" + (f", started by {who}"
                                                                     if who else ""),
                               who=who, when=when, what=ident))
    return sorted(out, key=lambda f: f.when)
