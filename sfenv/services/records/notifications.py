"""The record of notifications: every delivery tried, sent or failed, on its own ref.

A failed notification never fails the release; it is written here (and warned about) so the
team can see afterwards what it was not told. One JSON line per delivery in
`notifications.jsonl` on `refs/sfenv/notifications`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sfenv.services.records.refwrite import RefWriter, write_record

NOTIFICATIONS_REF = "refs/sfenv/notifications"
NOTIFICATIONS_FILE = "notifications.jsonl"


def read_notifications(store: RefWriter) -> list[dict[str, Any]]:
    head = store.ref_commit(NOTIFICATIONS_REF)
    data = store.read_file(head, NOTIFICATIONS_FILE) if head else None
    return [json.loads(line) for line in (data or b"").decode().splitlines() if line]


def record_deliveries(store: RefWriter, deliveries: Sequence[Mapping[str, Any]],
                      at: str) -> str | None:
    """Append one line per delivery (each with the event's time `at`); None when empty."""
    if not deliveries:
        return None
    lines = "".join(json.dumps({**d, "at": at}, sort_keys=True) + "\n" for d in deliveries)

    def files() -> dict[str, bytes]:
        head = store.ref_commit(NOTIFICATIONS_REF)
        old = (store.read_file(head, NOTIFICATIONS_FILE) if head else None) or b""
        return {NOTIFICATIONS_FILE: old + lines.encode()}

    failed = sum(1 for d in deliveries if not d.get("ok"))
    message = f"sfenv notify: {len(deliveries)} deliveries, {failed} failed\n"
    return write_record(store, NOTIFICATIONS_REF, files, message, "the notifications")
