"""The OAuth 2.0 token endpoint as Salesforce answers it: password, refresh_token,
client_credentials and JWT bearer grants. Token JSON with access_token, instance_url, id,
token_type, issued_at, signature; errors as
`{"error": "invalid_grant", "error_description": "authentication failure"}` with status 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sfenv.localorg.replies import JSON, Reply
from sfenv.localorg.state import OrgState, User

JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


def _oauth_error(error: str, description: str, status: int = 400) -> Reply:
    body = json.dumps({"error": error, "error_description": description}).encode()
    return status, JSON, body


def token(org: OrgState, base_url: str, body: bytes, headers) -> Reply:
    """`POST /services/oauth2/token` (form-encoded)."""
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                         keep_blank_values=True).items()}
    grant = form.get("grant_type", "")
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = _basic_auth(headers.get("Authorization", ""))
    if basic:
        client_id, client_secret = basic
    if grant == "password":
        user = org.check_password(form.get("username", ""), form.get("password", ""))
        if user is None:
            return _oauth_error("invalid_grant", "authentication failure")
    elif grant == "refresh_token":
        app = org.connected_app(client_id)
        if app and app.get("secret") and not _same(client_secret, app["secret"]):
            return _oauth_error("invalid_client", "invalid client credentials")
        user = org.refresh_token_user(form.get("refresh_token", ""), client_id)
        if user is None:
            return _oauth_error("invalid_grant", "expired access/refresh token")
    elif grant == "client_credentials":
        app = org.connected_app(client_id)
        if app is None or not app.get("secret") or not _same(client_secret, app["secret"]):
            return _oauth_error("invalid_client", "invalid client credentials")
        user = org.find_user(app.get("run_as") or "")
        if user is None or not user.is_active:
            return _oauth_error("invalid_grant", "no client credentials user enabled")
    elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
        user, failure = _jwt_user(org, base_url, form.get("assertion", ""))
        if user is None:
            return failure
        client_id = _jwt_claims(form.get("assertion", "")).get("iss", "")
    else:
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    return 200, JSON, json.dumps(_token_response(org, base_url, user, client_id)).encode()


def _token_response(org: OrgState, base_url: str, user: User, client_id: str) -> dict:
    issued_at = str(int(time.time() * 1000))
    identity = f"{base_url}/id/{org.org_id}/{user.id}"
    app = org.connected_app(client_id) or {}
    key = (app.get("secret") or client_id or "local").encode()
    signature = base64.b64encode(
        hmac.new(key, (identity + issued_at).encode(), hashlib.sha256).digest()).decode()
    return {
        "access_token": org.create_session(user), "instance_url": base_url, "id": identity,
        "token_type": "Bearer", "issued_at": issued_at, "signature": signature,
    }


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _basic_auth(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    cid, sep, secret = decoded.partition(":")
    return (cid, secret) if sep else None


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwt_claims(assertion: str) -> dict:
    try:
        claims = json.loads(_b64url(assertion.split(".")[1]))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def _jwt_user(org: OrgState, base_url: str, assertion: str) -> tuple[User | None, Reply]:
    """Check an RS256 JWT bearer assertion: signature against the connected app's certificate,
    iss (client id), sub (username), aud (login URL or this instance), exp."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return None, _oauth_error("invalid_grant", "invalid assertion")
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, binascii.Error):
        return None, _oauth_error("invalid_grant", "invalid assertion")
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
        return None, _oauth_error("invalid_grant", "invalid assertion")
    app = org.connected_app(str(claims.get("iss", "")))
    if app is None or not app.get("cert_pem"):
        return None, _oauth_error("invalid_client_id", "client identifier invalid")
    try:
        public_key = x509.load_pem_x509_certificate(app["cert_pem"].encode()).public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidSignature
        public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(),
                          hashes.SHA256())
    except (InvalidSignature, ValueError):
        return None, _oauth_error("invalid_grant", "invalid assertion")
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    if not any(a in (*JWT_AUDIENCES, base_url) for a in audiences):
        return None, _oauth_error("invalid_grant", "audience is invalid")
    try:
        exp = float(claims.get("exp"))
    except (TypeError, ValueError):
        return None, _oauth_error("invalid_grant", "invalid assertion")
    if exp < time.time() - 30:
        return None, _oauth_error("invalid_grant", "expired authorization code")
    user = org.find_user(str(claims.get("sub", "")))
    if user is None or not user.is_active:
        return None, _oauth_error("invalid_grant", "user hasn't approved this consumer")
    return user, (200, JSON, b"")
