"""Each org environment is bound to its org id.

The first pull records the org id in the snapshot meta. A later pull that meets another org id
is either a mistake (an environment's block copied from another's URL and credentials: its
snapshots would then say two orgs agree) and is refused, or a sandbox refresh, which the user
says with `--new-org` and which is logged as a refresh event in that snapshot's meta.
"""

from __future__ import annotations

import datetime as dt

from sfenv.errors import OrgIdentityError
from sfenv.io.store.snapshots import SnapshotStore


def same_org(a: str, b: str) -> bool:
    """Org ids compare on their 15-character case-sensitive form (18 adds a checksum)."""
    return a[:15] == b[:15]


def recorded_org_id(store: SnapshotStore, env: str, head: str | None) -> str:
    """The org id the environment's latest snapshot was taken from ('' before the first)."""
    if not head:
        return ""
    return str(store.meta(head).get("org_id") or "")


def check_org_identity(store: SnapshotStore, env: str, head: str | None, org_id: str, *,
                       new_org: bool) -> dict | None:
    """None when `org_id` is the environment's own org (or the first pull); the refresh event
    to record when it differs and `new_org` says so; else OrgIdentityError (exit 2)."""
    recorded = recorded_org_id(store, env, head)
    if not recorded or not org_id or same_org(recorded, org_id):
        return None
    if not new_org:
        raise OrgIdentityError(
            f"{env}: the org answered with org id {org_id}, but {env} is bound to org id "
            f"{recorded}; if {env} was refreshed, pull again with --new-org, else fix {env}'s "
            f"URL and credentials in sfenv.yml")
    return {"from_org_id": recorded, "to_org_id": org_id,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "previous": head}


def refresh_events(store: SnapshotStore, env: str, limit: int = 10_000) -> list[dict]:
    """Refreshes of `env` (org id changes accepted with --new-org), oldest first: each
    {"from_org_id", "to_org_id", "at", "previous", "commit"}. For status, report, changelog."""
    events = []
    for entry in store.log(env, limit=limit):
        refresh = entry.meta.get("refresh")
        if isinstance(refresh, dict):
            events.append({**refresh, "commit": entry.commit})
    return list(reversed(events))
