"""A local org's user record and how a new one is made (fresh id, password, token).

Its own module so that the persisted data (data.py) and the user and session methods
(users.py) both read it without importing each other."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from sfenv.localorg.state.ids import new_id

ADMIN_PROFILE = "System Administrator"


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


def _secret(n: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def make_user(username: str, name: str, email: str, profile: str, is_active: bool,
              created: str) -> User:
    """A new user with a fresh id, password and security token."""
    return User(
        id=new_id("005"), username=username, name=name, email=email, profile=profile,
        is_active=is_active, created_date=created, password=_secret(16),
        security_token=_secret(24),
    )
