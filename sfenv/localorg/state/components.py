"""Component dates (lastModified/created, who and when) of one local org, and the SourceMember
rows of source tracking. Part of `OrgState`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from sfenv.core.metadata.ids import ComponentId
from sfenv.localorg.state.data import StateData
from sfenv.localorg.state.dates import normalize_datetime, sf_now
from sfenv.localorg.state.ids import new_id
from sfenv.localorg.state.people import User
from sfenv.localorg.state.source_members import SourceMembers


class ComponentDates:
    """`component_props`, `touch_components`, `forget_components`, source tracking."""

    _data: StateData
    lock: threading.RLock
    content_generation: int
    admin: User
    org_id: str
    user_by_name: Callable[[str], User | None]   # from UsersAndSessions

    # --- components -------------------------------------------------------------------------
    def component_props(self, cid_str: str) -> dict:
        """lastModified/created data of one component; unknown ones were created with the org."""
        admin = self.admin
        base = {
            "createdDate": self._data.created_date, "createdByName": admin.name,
            "createdById": admin.id, "lastModifiedDate": self._data.created_date,
            "lastModifiedByName": admin.name, "lastModifiedById": admin.id,
        }
        stored = self._data.components.get(cid_str, {})
        base.update(stored)
        for key in ("createdBy", "lastModifiedBy"):
            if stored.get(f"{key}Name") and not stored.get(f"{key}Id"):  # seeds give names only
                user = self.user_by_name(base[f"{key}Name"])
                base[f"{key}Id"] = user.id if user else admin.id
        return base

    def touch_components(self, cids: Iterable[ComponentId | str], user: User, when: str | None = None) -> None:
        """Record that `user` changed these components (ComponentId or "Type:Name") now."""
        self.content_generation += 1
        cids = list(cids)
        stamp = normalize_datetime(when) if when else sf_now()
        with self.lock:
            self._track(cids, user, stamp, deleted=False)
            for cid in cids:
                key = str(cid)
                entry = self._data.components.get(key)
                if entry is None:
                    entry = {"createdDate": stamp, "createdByName": user.name,
                             "createdById": user.id}
                    self._data.components[key] = entry
                entry.update(lastModifiedDate=stamp, lastModifiedByName=user.name,
                             lastModifiedById=user.id)

    def forget_components(self, cids: Iterable[ComponentId | str], user: User | None = None) -> None:
        """Drop the dates of deleted components (their SourceMember rows become obsolete)."""
        self.content_generation += 1
        cids = list(cids)
        with self.lock:
            self._track(cids, user or self.admin, sf_now(), deleted=True)
            for cid in cids:
                self._data.components.pop(str(cid), None)

    # --- source tracking (SourceMember) ---------------------------------------------------------
    @property
    def source_tracking(self) -> bool:
        """True when the org offers SourceMember: tracking on, and never in production."""
        return self._data.source_tracking and self._data.is_sandbox

    def set_source_tracking(self, enabled: bool) -> None:
        """Switch source tracking on or off (call `save()` to keep it)."""
        with self.lock:
            self._data.source_tracking = enabled

    def source_member_rows(self) -> list[dict]:
        """SourceMember rows in RevisionCounter order (copies)."""
        with self.lock:
            return SourceMembers(self._data.source_members).rows()

    def _track(self, cids: list[ComponentId | str], user: User, stamp: str, *, deleted: bool) -> None:
        if self.source_tracking and cids:
            SourceMembers(self._data.source_members).record(
                cids, org_id=self.org_id, user=user, when=stamp, new_id=new_id,
                deleted=deleted)
