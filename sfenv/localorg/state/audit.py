"""The Setup audit trail (SetupAuditTrail rows) of one local org. Part of `OrgState`."""

from __future__ import annotations

import threading

from sfenv.localorg.state.data import StateData
from sfenv.localorg.state.dates import normalize_datetime, sf_now
from sfenv.localorg.state.ids import new_id
from sfenv.localorg.state.people import User


class AuditTrail:
    """`add_audit` and `audit_trail` (newest first)."""

    _data: StateData
    lock: threading.RLock

    # --- audit trail -----------------------------------------------------------------------
    def add_audit(self, action: str, section: str, display: str, user: User,
                  when: str | None = None) -> dict:
        row = {
            "Id": new_id("0Ym"), "CreatedDate": normalize_datetime(when) if when else sf_now(),
            "CreatedById": user.id, "CreatedByName": user.name, "Action": action,
            "Section": section, "Display": display, "DelegateUser": None,
        }
        with self.lock:
            self._data.audit_trail.append(row)
        return dict(row)

    def audit_trail(self) -> list[dict]:
        """SetupAuditTrail rows, newest first."""
        with self.lock:
            rows = [dict(r) for r in self._data.audit_trail]
        return sorted(rows, key=lambda r: (r["CreatedDate"], r["Id"]), reverse=True)
