"""The snapshot format beside the metadata: the `.sfenv/` side-file paths, the meta keys and
the one-entry-a-line JSON they are written in.

It lives in `store/` because every writer and reader of a snapshot (pull, git/dir
environments, records, report) must agree on it, and none of them may import another's
service module to learn it (that import was the pull <-> materialize cycle)."""

from __future__ import annotations

import io
import json

SIDE_DIR = ".sfenv/"  # nothing under it is metadata
INDEX_PATH = ".sfenv/components.json"  # per-component FileProperties index
AUDIT_PATH = ".sfenv/audit-trail.json"  # SetupAuditTrail rows as of the pull
GROUP_MEMBERS_PATH = ".sfenv/group-members.json"  # public group members

META_SOURCE_TRACKING = "source_tracking"  # {revision, scope} of an org with source tracking
META_REFRESH = "refresh"  # an org id change accepted with --new-org
META_ORIGIN = "origin"  # what wrote the snapshot: pull, backup, promotion, rollback...


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
