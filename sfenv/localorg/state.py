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
(GroupMember is data, not metadata: public group membership lives here, see `rest_groups.py`;
`source_tracking` makes a sandbox offer SourceMember, see `source_members.py`).

Contract with `metadata_api.py` (keep exact):
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
import secrets
import string
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sfenv.localorg.faults import FaultInjector
from sfenv.localorg.source_members import SourceMembers

STATE_DIR = ".localorg"
STATE_FILE = "state.json"
SEED_FILE = "seed.json"
SESSION_SECONDS = 2 * 60 * 60
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
ADMIN_PROFILE = "System Administrator"
CLI_CLIENT_ID = "PlatformCLI"  # the sf CLI's connected app; it has no secret


def id18(id15: str) -> str:
    """Salesforce's case-safe 18-char id: 3 check chars, one per 5-char chunk, from the
    positions of its upper-case letters."""
    if len(id15) == 18:
        id15 = id15[:15]
    if len(id15) != 15:
        raise ValueError(f"not a 15-char Salesforce id: {id15!r}")
    suffix = ""
    for start in (0, 5, 10):
        chunk = id15[start:start + 5]
        flags = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _CHECKSUM_CHARS[flags]
    return id15 + suffix


def is_valid_id(value: str) -> bool:
    """True for a well-formed 18-char id whose checksum matches (or a 15-char id)."""
    if len(value) == 15:
        return all(ch in _BASE62 for ch in value)
    return len(value) == 18 and all(ch in _BASE62 for ch in value[:15]) and id18(value) == value


def sf_now() -> str:
    return sf_datetime(datetime.now(UTC))


def sf_datetime(dt: datetime) -> str:
    """`2024-05-01T10:00:00.000Z` (UTC, milliseconds)."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_sf_datetime(text: str) -> datetime:
    """Reads `...Z`, `...+0000`, `...+00:00` and plain dates; naive times are UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit() and "T" in value:
        value = value[:-2] + ":" + value[-2:]
    dt = datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def normalize_datetime(text: str) -> str:
    return sf_datetime(parse_sf_datetime(text))


@dataclass
class User:
    id: str
    username: str
    name: str
    email: str
    profile: str = ADMIN_PROFILE
    is_active: bool = True
    created_date: str = ""
    password: str = ""
    security_token: str = ""

    @property
    def first_name(self) -> str:
        return self.name.rsplit(" ", 1)[0] if " " in self.name else ""

    @property
    def last_name(self) -> str:
        return self.name.rsplit(" ", 1)[-1]


@dataclass
class Session:
    user_id: str
    expires_at: float


@dataclass
class _Data:
    """The persisted part (state.json)."""

    org_id: str
    org_name: str
    is_sandbox: bool
    instance_name: str
    created_date: str
    admin_username: str
    users: list[User] = field(default_factory=list)
    components: dict[str, dict] = field(default_factory=dict)
    audit_trail: list[dict] = field(default_factory=list)
    refresh_tokens: dict[str, dict] = field(default_factory=dict)   # token -> {user_id, client_id}
    connected_apps: dict[str, dict] = field(default_factory=dict)   # client_id -> {secret, cert_pem, run_as}
    group_members: dict[str, list[dict]] = field(default_factory=dict)  # group -> [{type, member}]
    source_tracking: bool = False   # offers SourceMember (sandboxes only: see source_members.py)
    source_members: dict = field(default_factory=dict)  # {"counter", "rows"}: SourceMembers


class OrgState:
    """One org's state. Thread-safe: every mutation holds `lock`."""

    def __init__(self, data_dir: Path, data: _Data) -> None:
        self.data_dir = Path(data_dir)
        self._data = data
        self.lock = threading.RLock()
        self._sessions: dict[str, Session] = {}
        self._mtime_ns = 0
        self.session_seconds = SESSION_SECONDS
        # the server's fault settings; metadata_api reads unknown_exception_members/truncate_zip
        self.faults = FaultInjector()
        # the metadata folder as components, rebuilt when its files change (md_inventory)
        from sfenv.localorg.mdapi.inventory import InventoryCache

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
            org = cls(data_dir, _load_data(path))
            org._mtime_ns = path.stat().st_mtime_ns
        else:
            seed_path = data_dir / STATE_DIR / SEED_FILE
            seed = json.loads(seed_path.read_text("utf-8")) if seed_path.exists() else {}
            org = cls(data_dir, _new_data(seed, username))
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
            payload = json.dumps(asdict(self._data), indent=1, sort_keys=True) + "\n"
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
            self._data = _load_data(self.state_path)
            self._mtime_ns = mtime
            return True

    # --- identity -------------------------------------------------------------------------
    @property
    def org_id(self) -> str:
        return self._data.org_id

    @property
    def org_name(self) -> str:
        return self._data.org_name

    @property
    def is_sandbox(self) -> bool:
        return self._data.is_sandbox

    @property
    def instance_name(self) -> str:
        return self._data.instance_name

    @property
    def created_date(self) -> str:
        return self._data.created_date

    def new_id(self, prefix: str) -> str:
        """A fresh 18-char id with this 3-char key prefix (00D org, 005 user, 0Ym audit...)."""
        return new_id(prefix)

    # --- users ------------------------------------------------------------------------------
    @property
    def users(self) -> list[User]:
        return list(self._data.users)

    @property
    def admin(self) -> User:
        user = self.find_user(self._data.admin_username)
        if user is None:  # state edited by hand: fall back to the first user
            return self._data.users[0]
        return user

    def find_user(self, username: str) -> User | None:
        return next((u for u in self._data.users if u.username.lower() == username.lower()), None)

    def user_by_id(self, user_id: str) -> User | None:
        key = user_id[:15]
        return next((u for u in self._data.users if u.id[:15] == key), None)

    def user_by_name(self, name: str) -> User | None:
        """A user by full name ("Jane Doe") or username."""
        found = next((u for u in self._data.users if u.name == name), None)
        return found or self.find_user(name)

    def add_user(self, username: str, name: str, email: str, profile: str = ADMIN_PROFILE,
                 is_active: bool = True) -> User:
        with self.lock:
            user = _make_user(username, name, email, profile, is_active, self._data.created_date)
            self._data.users.append(user)
            return user

    def check_password(self, username: str, password_and_token: str,
                       *, need_token: bool = True) -> User | None:
        """The active user whose password (plus security token when `need_token`) matches."""
        user = self.find_user(username)
        if user is None or not user.is_active:
            return None
        candidates = [user.password + user.security_token]
        if not need_token:
            candidates.append(user.password)
        ok = any(secrets.compare_digest(password_and_token.encode(), c.encode()) for c in candidates)
        return user if ok else None

    # --- sessions (memory only) ----------------------------------------------------------
    def create_session(self, user: User) -> str:
        """`<org_id>!<secret>`, valid for `session_seconds`."""
        sid = f"{self.org_id}!{secrets.token_urlsafe(72)}"
        with self.lock:
            self._sessions[sid] = Session(user.id, time.time() + self.session_seconds)
        return sid

    def session_user(self, session_id: str | None) -> User | None:
        if not session_id:
            return None
        with self.lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires_at < time.time():
                del self._sessions[session_id]
                return None
            user = self.user_by_id(session.user_id)
            return user if user and user.is_active else None

    def expire_sessions(self) -> int:
        """End every session (as a session timeout would). Returns how many ended."""
        with self.lock:
            count = len(self._sessions)
            self._sessions.clear()
            return count

    # --- OAuth: refresh tokens and connected apps -----------------------------------------
    def mint_refresh_token(self, user: User, client_id: str = CLI_CLIENT_ID) -> str:
        token = f"5Aep{secrets.token_urlsafe(64)}"
        with self.lock:
            self._data.refresh_tokens[token] = {"user_id": user.id, "client_id": client_id}
            self.save()
        return token

    def refresh_token_user(self, token: str, client_id: str) -> User | None:
        entry = self._data.refresh_tokens.get(token)
        if entry is None or entry["client_id"] != client_id:
            return None
        user = self.user_by_id(entry["user_id"])
        return user if user and user.is_active else None

    def stored_refresh_token(self, user: User, client_id: str = CLI_CLIENT_ID) -> str:
        """The first refresh token of this user and client, minted when there is none."""
        for token, entry in self._data.refresh_tokens.items():
            if entry["user_id"] == user.id and entry["client_id"] == client_id:
                return token
        return self.mint_refresh_token(user, client_id)

    def connected_app(self, client_id: str) -> dict | None:
        return self._data.connected_apps.get(client_id)

    def register_connected_app(self, client_id: str, *, secret: str | None = None,
                               cert_pem: str | None = None, run_as: str | None = None) -> dict:
        """Add or update a connected app: its consumer secret, JWT certificate, run-as user."""
        with self.lock:
            app = self._data.connected_apps.setdefault(client_id, {})
            if secret is not None:
                app["secret"] = secret
            if cert_pem is not None:
                app["cert_pem"] = cert_pem
            if run_as is not None:
                app["run_as"] = run_as
            self.save()
            return dict(app)

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

    def touch_components(self, cids, user: User, when: str | None = None) -> None:
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

    def forget_components(self, cids, user: User | None = None) -> None:
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

    def _track(self, cids: list, user: User, stamp: str, *, deleted: bool) -> None:
        if self.source_tracking and cids:
            SourceMembers(self._data.source_members).record(
                cids, org_id=self.org_id, user_id=user.id, when=stamp, new_id=new_id,
                deleted=deleted)

    # --- public group membership (GroupMember data) -------------------------------------------
    def group_members(self) -> dict[str, list[dict]]:
        """Public group developer name -> members `{"type", "member"}` (a copy)."""
        with self.lock:
            return {g: [dict(m) for m in rows] for g, rows in self._data.group_members.items()}

    def set_group_members(self, group: str, members: list[dict]) -> None:
        """Replace the members of one public group (an empty list removes them all)."""
        with self.lock:
            if members:
                self._data.group_members[group] = [dict(m) for m in members]
            else:
                self._data.group_members.pop(group, None)

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


def new_id(prefix: str) -> str:
    if len(prefix) != 3 or any(ch not in _BASE62 for ch in prefix):
        raise ValueError(f"key prefix must be 3 base-62 chars: {prefix!r}")
    body = "".join(secrets.choice(_BASE62) for _ in range(8))
    return id18(f"{prefix}5g0000{body}"[:15])


def _secret(n: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _make_user(username: str, name: str, email: str, profile: str, is_active: bool,
               created: str) -> User:
    return User(
        id=new_id("005"), username=username, name=name, email=email, profile=profile,
        is_active=is_active, created_date=created, password=_secret(16),
        security_token=_secret(24),
    )


def _new_data(seed: dict, username: str | None) -> _Data:
    created = sf_now()
    org_name = seed.get("org_name") or "Local Org"
    users: list[User] = []
    for raw in seed.get("users", []):
        users.append(_make_user(raw["username"], raw.get("name") or raw["username"],
                                raw.get("email") or raw["username"],
                                raw.get("profile") or ADMIN_PROFILE,
                                bool(raw.get("is_active", True)), created))
    if not users:
        slug = "".join(ch for ch in org_name.lower() if ch.isalnum()) or "org"
        admin_name = username or f"admin@{slug}.localorg"
        users.append(_make_user(admin_name, "Admin User", admin_name, ADMIN_PROFILE, True, created))
    admins = [u for u in users if u.is_active and u.profile == ADMIN_PROFILE]
    admin = (admins or users)[0]
    components = {}
    for key, props in (seed.get("components") or {}).items():
        components[key] = {k: normalize_datetime(v) if k.endswith("Date") and v else v
                           for k, v in props.items()}
    data = _Data(
        org_id=new_id("00D"), org_name=org_name, is_sandbox=bool(seed.get("is_sandbox", False)),
        source_tracking=bool(seed.get("source_tracking", False)),
        instance_name=seed.get("instance_name") or "LOCAL1", created_date=created,
        admin_username=username or admin.username, users=users, components=components,
        group_members={g: [dict(m) for m in rows]
                       for g, rows in (seed.get("group_members") or {}).items()},
    )
    by_name = {u.name: u for u in users}
    for raw in seed.get("audit_trail", []):
        who = by_name.get(raw.get("CreatedByName", ""), admin)
        data.audit_trail.append({
            "Id": new_id("0Ym"), "CreatedDate": normalize_datetime(raw["CreatedDate"]),
            "CreatedById": who.id, "CreatedByName": raw.get("CreatedByName") or who.name,
            "Action": raw.get("Action", ""), "Section": raw.get("Section", ""),
            "Display": raw.get("Display", ""), "DelegateUser": raw.get("DelegateUser"),
        })
    return data


def _load_data(path: Path) -> _Data:
    raw = json.loads(path.read_text("utf-8"))
    raw["users"] = [User(**u) for u in raw.get("users", [])]
    return _Data(**raw)
