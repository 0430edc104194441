"""Users, sessions (memory only), OAuth refresh tokens and connected apps of one local org,
and public group membership (GroupMember data). Part of `OrgState`: its methods use the org's
persisted data (`_data`), `lock` and `save()`."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sfenv.localorg.state.data import StateData
from sfenv.localorg.state.dates import sf_now
from sfenv.localorg.state.people import ADMIN_PROFILE, User, make_user

__all__ = ["ADMIN_PROFILE", "CLI_CLIENT_ID", "SESSION_SECONDS", "Session", "User",
           "UsersAndSessions"]

SESSION_SECONDS = 2 * 60 * 60
CLI_CLIENT_ID = "PlatformCLI"  # the sf CLI's connected app; it has no secret


@dataclass
class Session:
    user_id: str
    expires_at: float


class UsersAndSessions:
    """Users, sessions, refresh tokens, connected apps, public group members."""

    _data: StateData
    lock: threading.RLock
    _sessions: dict[str, Session]
    session_seconds: int
    org_id: str                    # from OrgState
    save: Callable[[], None]       # from OrgState

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
            user = make_user(username, name, email, profile, is_active, self._data.created_date)
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
            self._data.last_logins[user.id] = sf_now()   # kept with the next save()
        return sid

    def last_login(self, user: User) -> str | None:
        """User.LastLoginDate: when the user last logged in (None: never)."""
        return self._data.last_logins.get(user.id)

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
