"""The persisted part of a local org (`.localorg/state.json`): created from seed.json on the
first start, loaded on later ones."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.localorg.state.dates import normalize_datetime, sf_now
from sfenv.localorg.state.ids import new_id
from sfenv.localorg.state.people import ADMIN_PROFILE, User, make_user


@dataclass
class StateData:
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
    last_logins: dict[str, str] = field(default_factory=dict)  # user id -> User.LastLoginDate
    applied_deploys: list[str] = field(default_factory=list)  # last deploy ids committed (mdapi/commit.py)


def new_data(seed: dict, username: str | None) -> StateData:
    """A new org from seed.json content (empty: one admin user, no components)."""
    created = sf_now()
    org_name = seed.get("org_name") or "Local Org"
    users: list[User] = []
    for raw in seed.get("users", []):
        users.append(make_user(raw["username"], raw.get("name") or raw["username"],
                                raw.get("email") or raw["username"],
                                raw.get("profile") or ADMIN_PROFILE,
                                bool(raw.get("is_active", True)), created))
    if not users:
        slug = "".join(ch for ch in org_name.lower() if ch.isalnum()) or "org"
        admin_name = username or f"admin@{slug}.localorg"
        users.append(make_user(admin_name, "Admin User", admin_name, ADMIN_PROFILE, True, created))
    admins = [u for u in users if u.is_active and u.profile == ADMIN_PROFILE]
    admin = (admins or users)[0]
    components = {}
    for key, props in (seed.get("components") or {}).items():
        components[key] = {k: normalize_datetime(v) if k.endswith("Date") and v else v
                           for k, v in props.items()}
    data = StateData(
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


def load_data(path: Path) -> StateData:
    """state.json as written by `OrgState.save` (fields added since default)."""
    raw = json.loads(path.read_text("utf-8"))
    raw["users"] = [User(**u) for u in raw.get("users", [])]
    return StateData(**raw)
