"""Everything about one local org: identity, users, secrets, sessions, component dates, audit trail.

Persisted in `<data_dir>/.localorg/state.json` (mode 0600: it holds the org's own passwords and
tokens). The state is created on the first start; when `<data_dir>/.localorg/seed.json` exists
(written by `sfenv.localorg.seeds`), the org name, sandbox flag, users, component dates and
audit trail come from it. Shape of seed.json:
`{"org_name", "is_sandbox", "instance_name", "users": [{"username","name","email","profile",
"is_active"}], "components": {"Type:FullName": {"lastModifiedDate","lastModifiedByName",
"createdDate","createdByName"}}, "audit_trail": [{"CreatedDate","CreatedByName","Action",
"Section","Display"}], "group_members": {"Group_Dev_Name": [{"type": "User"|"Role"|
"RoleAndSubordinates"|"Group", "member": username or developer name}]}, "source_tracking": bool}`
(GroupMember is data, not metadata: public group membership lives here, see `rest/groups.py`;
`source_tracking` makes a sandbox offer SourceMember, see `source_members.py`).

Contract with `mdapi/api.py` (keep exact):
- `data_dir` / `metadata_dir` (the same folder: Metadata API format files), `org_id`,
  `new_id(prefix)` (18-char, checksummed), `users`, `admin`, `create_session(user)`,
  `session_user(session_id) -> User | None` (None when unknown or expired),
  `component_props(cid_str) -> dict` (lastModifiedDate/ById/ByName, createdDate/ById/ByName,
  always complete: unknown components default to the org's creation by the admin),
  `touch_components(cids, user, when=None)`, `add_audit(action, section, display, user)`,
  `audit_trail()` (newest first), `faults` (the server's FaultInjector: read
  `unknown_exception_members` and `truncate_zip`, call `faults.count(...)`), `lock` (RLock: hold it while writing metadata files) and
  `save()`. Sessions live in memory only; everything else is saved.

Dates are stored as Salesforce writes them in the Metadata API: `2024-05-01T10:00:00.000Z`.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Generic, TypeVar

from sfenv.localorg.faults import FaultInjector
from sfenv.localorg.state.audit import AuditTrail
from sfenv.localorg.state.components import ComponentDates
from sfenv.localorg.state.data import StateData, load_data, new_data
from sfenv.localorg.state.ids import new_id
from sfenv.localorg.state.inventory import InventoryCache
from sfenv.localorg.state.users import ADMIN_PROFILE, SESSION_SECONDS, Session, UsersAndSessions

STATE_DIR = ".localorg"
STATE_FILE = "state.json"
SEED_FILE = "seed.json"
APPLIED_KEPT = 200   # deploy ids remembered as committed (a journal older than that is gone)
T = TypeVar("T")


def _plain(data: StateData) -> dict[str, Any]:
    """What `asdict(data)` gives, without its deep copy of every component's dict: json.dumps
    only reads them, under the org's lock. An org of 12,000 components spent ~2 s of CPU a
    save copying them (users are the only dataclasses inside)."""
    out = {f.name: getattr(data, f.name) for f in fields(data)}
    out["users"] = [asdict(user) for user in data.users]
    return out


class _Persisted(Generic[T]):
    """A read-only attribute of the org that reads the same-named field of its persisted data."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, org: OrgState, owner: type | None = None) -> T:
        return getattr(org._data, self.name)


class OrgState(UsersAndSessions, ComponentDates, AuditTrail):
    """One org's state. Thread-safe: every mutation holds `lock`."""

    def __init__(self, data_dir: Path, data: StateData) -> None:
        self.data_dir = Path(data_dir)
        self._data = data
        self.lock = threading.RLock()
        self._sessions: dict[str, Session] = {}
        self._mtime_ns = 0
        self.session_seconds = SESSION_SECONDS
        # the server's fault settings; mdapi/api.py reads unknown_exception_members/truncate_zip
        self.faults = FaultInjector()
        # the metadata folder as components, rebuilt when its files change (state/inventory.py)
        self.inventory_cache = InventoryCache()
        # bumped whenever the server itself changes components (deploys, hand changes)
        self.content_generation = 0

    # --- loading and saving -------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.data_dir / STATE_DIR / STATE_FILE

    @property
    def metadata_dir(self) -> Path:
        return self.data_dir

    @classmethod
    def open(cls, data_dir: Path, *, username: str | None = None) -> OrgState:
        """Load the org in `data_dir`, creating its state on first use (from seed.json if any).
        `username` names the admin login (created as a System Administrator if new)."""
        data_dir = Path(data_dir)
        path = data_dir / STATE_DIR / STATE_FILE
        if path.exists():
            org = cls(data_dir, load_data(path))
            org._mtime_ns = path.stat().st_mtime_ns
        else:
            seed_path = data_dir / STATE_DIR / SEED_FILE
            seed = json.loads(seed_path.read_text("utf-8")) if seed_path.exists() else {}
            org = cls(data_dir, new_data(seed, username))
        if username and org.find_user(username) is None:
            org.add_user(username, "Admin User", username, ADMIN_PROFILE)
        if username and org._data.admin_username != username:
            org._data.admin_username = username
        if not path.exists() or username:
            org.save()
        return org

    def save(self) -> None:
        """Write state.json atomically (temp file + rename), readable by its owner only."""
        with self.lock:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
            payload = json.dumps(_plain(self._data), indent=1, sort_keys=True) + "\n"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
            os.replace(tmp, self.state_path)
            self._mtime_ns = self.state_path.stat().st_mtime_ns

    def reload_if_changed(self) -> bool:
        """Pick up a state.json written by another process (`sfenv localorg change`)."""
        with self.lock:
            try:
                mtime = self.state_path.stat().st_mtime_ns
            except FileNotFoundError:
                return False
            if mtime == self._mtime_ns:
                return False
            self._data = load_data(self.state_path)
            self._mtime_ns = mtime
            return True

    # --- identity (read-only views of the persisted data) ---------------------------------
    org_id = _Persisted[str]()
    org_name = _Persisted[str]()
    is_sandbox = _Persisted[bool]()
    instance_name = _Persisted[str]()
    created_date = _Persisted[str]()

    def mark_deploy_applied(self, deploy_id: str) -> None:
        """Note that deploy `deploy_id` is committed (saved with the next save(), the commit
        point of mdapi/commit.py); the last APPLIED_KEPT ids are kept."""
        with self.lock:
            ids = self._data.applied_deploys
            ids.append(deploy_id)
            del ids[:-APPLIED_KEPT]

    def deploy_applied(self, deploy_id: str) -> bool:
        with self.lock:
            return deploy_id in self._data.applied_deploys

    def new_id(self, prefix: str) -> str:
        """A fresh 18-char id with this 3-char key prefix (00D org, 005 user, 0Ym audit...)."""
        return new_id(prefix)
