"""When each sandbox was last refreshed, and whether its `refresh:` cadence says it is due
(issue 10). Read by `sfenv status` (text, markdown, --json).

A refresh is an org id change accepted with `sfenv pull ENV --new-org`
(`sfenv.services.pull.refresh_events`). The cadence is `refresh:` in the environment's block of
sfenv.yml: weekly, fortnightly, monthly, quarterly, twice a year, yearly (or annually), or
"every N days|weeks|months" / "N days|weeks|months" / "30d", "2w", "3m". A sandbox is due when
its last refresh (or, before sfenv saw one, its first snapshot) is older than the cadence.
Production orgs are never refreshed and get no row.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sfenv.config.model import Config
from sfenv.io.store.snapshots import SnapshotStore

NAMED_DAYS = {"daily": 1, "weekly": 7, "fortnightly": 14, "biweekly": 14, "monthly": 30,
              "quarterly": 91, "twice a year": 182, "semiannually": 182, "half-yearly": 182,
              "yearly": 365, "annually": 365}
UNIT_DAYS = {"d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7,
             "m": 30, "month": 30, "months": 30}
_EVERY = re.compile(r"^(?:every\s+)?(\d{1,4})\s*([a-z]+)$")


def cadence_days(text: str) -> int | None:
    """The cadence in days, or None when `text` is empty or not understood."""
    spec = " ".join(str(text or "").strip().lower().split())
    if spec in NAMED_DAYS:
        return NAMED_DAYS[spec]
    match = _EVERY.match(spec)
    if match and match.group(2) in UNIT_DAYS and int(match.group(1)) > 0:
        return int(match.group(1)) * UNIT_DAYS[match.group(2)]
    return None


@dataclass
class SandboxRefresh:
    """One sandbox's identity as status shows it."""

    env: str
    org_id: str | None
    last_refreshed: str | None  # ISO UTC of the last --new-org pull, None when never seen
    refreshes: int
    first_seen: str | None      # the first snapshot's date
    cadence: str
    cadence_days: int | None
    due: bool
    warning: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> datetime:
    return datetime.now(UTC)


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _first_seen(store: SnapshotStore, env: str) -> tuple[str | None, str | None]:
    """(date of the first snapshot, org id of the latest) of `env`."""
    entries = store.log(env, limit=100_000)
    if not entries:
        return None, None
    org_id = next((str(e.meta["org_id"]) for e in entries if e.meta.get("org_id")), None)
    return entries[-1].date, org_id


def sandbox_refreshes(store: SnapshotStore, config: Config, now: datetime | None = None,
                      ) -> list[SandboxRefresh]:
    """A row per org environment that is not production, in sfenv.yml order."""
    from sfenv.services.records.org_identity import refresh_events

    now = now or _now()
    rows = []
    for name, env in config.environments.items():
        if env.kind != "org" or env.production:
            continue
        events = refresh_events(store, name) if store.head(name) else []
        first, org_id = _first_seen(store, name)
        last = events[-1]["at"] if events else None
        days = cadence_days(env.refresh)
        warning, due = "", False
        if env.refresh and days is None:
            warning = (f"{name}: refresh cadence {env.refresh!r} not understood (weekly, "
                       f"monthly, quarterly, yearly, or 'every N days|weeks|months')")
        elif days is not None:
            since = _instant(last) or _instant(first)
            if since is not None and (now - since).days >= days:
                due = True
                what = "last refreshed" if last else "no refresh seen since the first pull of"
                warning = (f"refresh due: {name} ({env.refresh}) — {what} "
                           f"{since.astimezone(UTC):%Y-%m-%d}, {(now - since).days} days ago")
        rows.append(SandboxRefresh(name, org_id, last, len(events), first, env.refresh, days,
                                   due, warning))
    return rows
