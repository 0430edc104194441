"""The monitor's findings as notifications: one event per environment and kind of finding."""

from __future__ import annotations

from collections import defaultdict

from sfenv.config.model import Config
from sfenv.services.monitor.checks import Finding
from sfenv.services.monitor.service import MonitorReport
from sfenv.services.notify.events import Event

# finding kind -> (event kind, title)
_EVENTS = {
    "outside_change": ("drift_in_production", "changes outside the release process"),
    "backup_stale": ("backup_stale", "backup is stale"),
    "backup_missing": ("backup_stale", "no backup"),
    "limit_near": ("limits_near", "org limits near"),
    "deploy_failed": ("promotion_failed", "deployment failed"),
    "deploy_pending": ("promotion_failed", "deployment still pending"),
}


def monitor_events(config: Config, report: MonitorReport) -> list[Event]:
    """Outside changes count as drift only in production; the rest in every environment."""
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        if finding.kind == "outside_change" and not config.env(finding.env).production:
            continue
        grouped[(finding.env, finding.kind)].append(finding)
    events = []
    for (env, kind), findings in sorted(grouped.items()):
        event_kind, title = _EVENTS[kind]
        events.append(Event(event_kind, f"{len(findings)} {title}" if len(findings) > 1
                            else title, env=env, summary=findings[0].message,
                            lines=tuple(f.message for f in findings[1:]),
                            command=f"sfenv monitor {env}"))
    return events
