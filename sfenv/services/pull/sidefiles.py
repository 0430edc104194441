"""The snapshot's `.sfenv/` files beside the metadata: the component index, the Setup audit
trail, public group members, as read from the org. Their paths and the JSON layout they are
written in are the snapshot format: `sfenv.io.store.format`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sfenv.config.model import Config
from sfenv.core.metadata.registry import Registry
from sfenv.errors import OrgError, RequestLimitError, SessionExpiredError
from sfenv.io.store.format import AUDIT_PATH, GROUP_MEMBERS_PATH, INDEX_PATH, json_bytes
from sfenv.services.pull.groups import group_members
from sfenv.services.pull.orgport import PullClient

__all__ = ["AUDIT_PATH", "INDEX_PATH", "json_bytes", "org_side_files"]


def org_side_files(client: PullClient, config: Config, now: dt.datetime,
                   registry: Registry) -> tuple[dict[str, bytes], list[str]]:
    """The audit trail and group members ({path: bytes}) and warnings for what was not read."""
    audit_rows, audit_warning = _audit(client, config, now)
    members, members_warning = group_members(client, registry)
    files = {AUDIT_PATH: json_bytes(audit_rows), GROUP_MEMBERS_PATH: json_bytes(members)}
    return files, [w for w in (audit_warning, members_warning) if w]


def _audit(client: PullClient, config: Config, now: dt.datetime) -> tuple[list[dict[str, Any]], str | None]:
    since = (now - dt.timedelta(days=config.pull.audit_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        return client.audit_trail(since=since), None
    except (RequestLimitError, SessionExpiredError):
        raise  # the pull stops: a snapshot without its audit trail would hide who changed what
    except OrgError as err:
        return [], f"SetupAuditTrail not read: {err}"
