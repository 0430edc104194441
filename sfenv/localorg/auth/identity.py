"""Who the session's user is: `/services/oauth2/userinfo` (OpenID shape), the identity URL
`/id/{org}/{user}` (what jsforce's `conn.identity()` reads), and stable Profile ids."""

from __future__ import annotations

import hashlib
import json

from sfenv.localorg.replies import JSON, Reply
from sfenv.localorg.state import OrgState, User
from sfenv.localorg.state.ids import id18


def profile_id(org: OrgState, profile: str) -> str:
    """A stable Profile id (00e) per profile name within the org."""
    digest = hashlib.sha256(f"{org.org_id}/{profile}".encode()).hexdigest()
    alnum = "".join(ch for ch in digest if ch.isalnum())
    return id18(f"00e5g00000{alnum[:5]}")


def userinfo(org: OrgState, base_url: str, user: User | None) -> Reply:
    """`GET /services/oauth2/userinfo` (and the identity URL `/id/<org>/<user>`)."""
    if user is None:
        return 403, "text/plain;charset=UTF-8", b"Bad_OAuth_Token"
    body = {
        "sub": f"{base_url}/id/{org.org_id}/{user.id}", "user_id": user.id,
        "organization_id": org.org_id, "preferred_username": user.username,
        "nickname": user.username.split("@")[0], "name": user.name, "email": user.email,
        "email_verified": True, "given_name": user.first_name, "family_name": user.last_name,
        "zoneinfo": "America/Los_Angeles", "active": user.is_active, "user_type": "STANDARD",
        "language": "en_US", "locale": "en_US", "is_app_installed": True,
        "urls": {"rest": f"{base_url}/services/data/v{{version}}/",
                 "metadata": f"{base_url}/services/Soap/m/{{version}}/{org.org_id[:15]}",
                 "partner": f"{base_url}/services/Soap/u/{{version}}/{org.org_id[:15]}"},
        "updated_at": user.created_date.replace(".000Z", "Z"),
    }
    return 200, JSON, json.dumps(body).encode()


def identity(org: OrgState, base_url: str, user: User | None) -> Reply:
    """`GET /id/<org>/<user>`: the identity URL's own shape (jsforce's `conn.identity()` reads
    `username`, `user_id`, `organization_id`, `display_name`, `urls`)."""
    if user is None:
        return 403, "text/plain;charset=UTF-8", b"Bad_OAuth_Token"
    org15 = org.org_id[:15]
    rest = f"{base_url}/services/data/v{{version}}/"
    body = {
        "id": f"{base_url}/id/{org.org_id}/{user.id}", "asserted_user": True,
        "user_id": user.id, "organization_id": org.org_id, "username": user.username,
        "nick_name": user.username.split("@")[0], "display_name": user.name,
        "email": user.email, "email_verified": True, "first_name": user.first_name or None,
        "last_name": user.last_name, "timezone": "America/Los_Angeles", "status": {},
        "urls": {
            "enterprise": f"{base_url}/services/Soap/c/{{version}}/{org15}",
            "metadata": f"{base_url}/services/Soap/m/{{version}}/{org15}",
            "partner": f"{base_url}/services/Soap/u/{{version}}/{org15}",
            "rest": rest, "sobjects": f"{rest}sobjects/", "search": f"{rest}search/",
            "query": f"{rest}query/", "recent": f"{rest}recent/",
            "tooling_rest": f"{rest}tooling/", "profile": f"{base_url}/{user.id}",
            "custom_domain": base_url,
        },
        "active": user.is_active, "user_type": "STANDARD", "language": "en_US",
        "locale": "en_US", "utcOffset": -28800000,
        "last_modified_date": user.created_date.replace(".000Z", "+0000"),
        "is_app_installed": True,
    }
    return 200, JSON, json.dumps(body).encode()
