"""The snapshot's `.sfenv/` files beside the metadata: the component index, the Setup audit
trail, public group members; and the JSON layout they are written in (one line per entry,
so a diff of two snapshots shows the entries that changed)."""

from __future__ import annotations

import datetime as dt
import io
import json

from sfenv.config.model import Config
from sfenv.errors import OrgError, RequestLimitError, SessionExpiredError
from sfenv.pull.groups import GROUP_MEMBERS_PATH, group_members

INDEX_PATH = ".sfenv/components.json"
AUDIT_PATH = ".sfenv/audit-trail.json"


def json_bytes(value: dict | list) -> bytes:
    """A dict as one entry a line (keys in the dict's order), a list indented. The dict's
    lines are encoded one at a time into one buffer: the component index of a large org
    (tens of MB) is never held as lines, a joined string and bytes at once."""
    if isinstance(value, dict):
        if not value:
            return b"{}\n"
        out = io.BytesIO()
        sep = b"{\n"
        for k, v in value.items():
            out.write(sep)
            out.write(f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}".encode())
            sep = b",\n"
        out.write(b"\n}\n")
        return out.getvalue()
    return (json.dumps(value, indent=1, sort_keys=True) + "\n").encode()


def org_side_files(client, config: Config, now: dt.datetime) -> tuple[dict[str, bytes], list[str]]:
    """The audit trail and group members ({path: bytes}) and warnings for what was not read."""
    audit_rows, audit_warning = _audit(client, config, now)
    members, members_warning = group_members(client)
    files = {AUDIT_PATH: json_bytes(audit_rows), GROUP_MEMBERS_PATH: json_bytes(members)}
    return files, [w for w in (audit_warning, members_warning) if w]


def _audit(client, config: Config, now: dt.datetime) -> tuple[list[dict], str | None]:
    since = (now - dt.timedelta(days=config.pull.audit_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        return client.audit_trail(since=since), None
    except (RequestLimitError, SessionExpiredError):
        raise  # the pull stops: a snapshot without its audit trail would hide who changed what
    except OrgError as err:
        return [], f"SetupAuditTrail not read: {err}"
