"""`sfenv monitor`: what needs a release manager's attention in each org since the last run.

Per environment: setup changes made outside the release process (the audit trail, less the
users who deploy for it), the age of the last backup, the org's `/limits` against the
thresholds of sfenv.yml, and deployments that failed or are still pending. Each run is
committed on `refs/sfenv/monitor/<ENV>` (one `monitor.json`), so the next run starts where this
one stopped and the history outlives the org's own retention.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sfenv.config.model import Config, EnvConfig
from sfenv.core.compare.counts import counted
from sfenv.errors import OrgError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.monitor import checks
from sfenv.services.monitor.checks import Finding
from sfenv.services.records.backups import list_backups
from sfenv.services.records.refwrite import write_record

MONITOR_FILE = "monitor.json"
FIRST_WINDOW = timedelta(hours=24)  # a first run looks this far back


class MonitoredOrg(Protocol):
    """What the monitor asks of an org client (`sfenv.io.org.client.OrgClient`)."""

    @property
    def username(self) -> str | None: ...
    def query(self, soql: str, *, tooling: bool = False) -> list[dict]: ...
    def audit_trail(self, since: str | None = None, limit: int = 2000) -> list[dict]: ...
    def limits(self) -> dict[str, Any]: ...


@dataclass
class EnvMonitor:
    env: str
    since: str
    checked_at: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: int = 0
    audit_ids: list[str] = field(default_factory=list)  # the audit rows this run read

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "since": self.since, "checked_at": self.checked_at,
                "findings": [f.to_dict() for f in self.findings], "notes": self.notes,
                "calls": self.calls, "audit_ids": self.audit_ids}


@dataclass
class MonitorReport:
    envs: list[EnvMonitor] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for e in self.envs for f in e.findings]

    def to_dict(self) -> dict[str, Any]:
        return {"envs": [e.to_dict() for e in self.envs], "findings": len(self.findings)}


def monitor_ref(env: str) -> str:
    return f"refs/sfenv/monitor/{env}"


def last_run(store: SnapshotStore, env: str) -> dict[str, Any] | None:
    head = store.ref_commit(monitor_ref(env))
    data = store.read_file(head, MONITOR_FILE) if head else None
    return json.loads(data) if data else None


def _soql_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _release_users(client: MonitoredOrg, configured: Sequence[str]) -> tuple[list[str], int]:
    """The configured release users, else the login user's name (and its username)."""
    if configured:
        return list(configured), 0
    username = client.username or ""
    if not username:
        return [], 0
    quoted = username.replace("\\", "\\\\").replace("'", "\\'")
    rows = client.query(f"SELECT Name FROM User WHERE Username = '{quoted}'")
    return [username] + [str(r.get("Name")) for r in rows if r.get("Name")], 1


def monitor_env(config: Config, store: SnapshotStore, env_cfg: EnvConfig,
                client: MonitoredOrg, now: datetime) -> EnvMonitor:
    env = env_cfg.name
    settings = config.monitor
    previous = last_run(store, env)
    since = checks.parse_time(previous["checked_at"]) if previous else now - FIRST_WINDOW
    result = EnvMonitor(env, since.isoformat(), now.isoformat())
    users, calls = _release_users(client, settings.release_users)
    # SOQL takes whole seconds: ask from the second the last run started, then leave out what
    # that run already reported (its row ids) and anything older than its start.
    reported = set(previous.get("audit_ids", [])) if previous else set()
    rows = [r for r in client.audit_trail(since=_soql_time(since))
            if str(r.get("Id")) not in reported
            and (not r.get("CreatedDate") or checks.parse_time(str(r["CreatedDate"])) >= since)]
    result.audit_ids = sorted(str(r.get("Id")) for r in rows if r.get("Id"))
    result.findings += checks.outside_changes(env, rows, users)
    backups = [b for b in list_backups(store) if b.env == env]
    latest = checks.parse_time(backups[0].date) if backups else None
    result.findings += checks.backup_freshness(env, latest, now, settings.backup_max_age_hours)
    result.findings += checks.limits_near(env, client.limits(), settings.limits)
    calls += 2
    window = _soql_time(now - timedelta(hours=settings.deployments_hours))
    try:
        deploys = client.query("SELECT Id, Status, CheckOnly, CreatedDate, CreatedBy.Name FROM "
                               f"DeployRequest WHERE CreatedDate >= {window}", tooling=True)
        result.findings += checks.deployments(env, deploys)
    except OrgError as err:  # an org that does not offer DeployRequest: said, not fatal
        result.notes.append(f"deployments not checked: {err}")
    result.calls = calls + 1
    return result


def _record(store: SnapshotStore, run: EnvMonitor) -> None:
    data = (json.dumps(run.to_dict(), indent=2, sort_keys=True) + "\n").encode()
    write_record(store, monitor_ref(run.env), lambda: {MONITOR_FILE: data},
                 f"sfenv monitor {run.env}: {counted(len(run.findings), 'finding')}\n",
                 f"the monitor run of {run.env}")


def run_monitor(config: Config, store: SnapshotStore, envs: Sequence[str], *,
                connect: Callable[[EnvConfig, str], MonitoredOrg],
                now: datetime | None = None) -> MonitorReport:
    """Monitor each environment (org kinds only) and record each run. OrgError (exit 3) when
    an org cannot be reached: the runs already recorded stay."""
    moment = now or datetime.now(UTC)
    report = MonitorReport()
    for name in envs:
        env_cfg = config.env(name)
        if env_cfg.kind != "org":
            continue
        client = connect(env_cfg, config.api_version)
        run = monitor_env(config, store, env_cfg, client, moment)
        _record(store, run)
        report.envs.append(run)
    return report
