"""The local org's one route table: (method or any, URL path pattern, handler, fault kind).

The server serves a request with the first route whose method and pattern match (none: 404
NOT_FOUND), after fault injection for the route's kind. REST resources check the session and
the API version first (401, then 404), as Salesforce does; `metadata/deployRequest[/id]`
answers POST/GET/PATCH itself (rest/deploy.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sfenv.localorg import soap
from sfenv.localorg.auth import identity, oauth, soap_login
from sfenv.localorg.mdapi import api as metadata_api
from sfenv.localorg.replies import Reply, rest_error
from sfenv.localorg.rest import api as rest
from sfenv.localorg.rest import deploy as rest_deploy
from sfenv.localorg.state import OrgState, User


class App(Protocol):
    """What a route handler reads of the server (`server.LocalOrgServer` is one): a Protocol,
    so this table never imports the server that imports it."""

    org: OrgState
    rest: rest.RestApi

    @property
    def base_url(self) -> str: ...

    def limit_info(self) -> tuple[int, int] | None: ...


class Headers(Protocol):
    """A request's headers (http.server's message, or a dict in tests)."""

    def get(self, name: str, default: None = None) -> str | None: ...


def bearer(headers: Headers) -> str | None:
    """The session id of an `Authorization: Bearer <sid>` (or `OAuth <sid>`) header."""
    value = headers.get("Authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() in ("bearer", "oauth") else None


@dataclass(frozen=True)
class Request:
    method: str
    path: str          # without the trailing slash
    query: str
    headers: Headers
    body: bytes


Handler = Callable[[App, Request, re.Match], Reply]


@dataclass(frozen=True)
class Route:
    method: str | None   # None: any method
    pattern: re.Pattern
    handler: Handler
    fault_kind: str      # what FaultInjector rules name: soap_login, oauth, soap, rest


def _soap_login(app: App, req: Request, match: re.Match) -> Reply:
    return soap_login.soap_login(app.org, app.base_url, req.body, match.group(1))


def _oauth_token(app: App, req: Request, match: re.Match) -> Reply:
    return oauth.token(app.org, app.base_url, req.body, req.headers)


def _userinfo(app: App, req: Request, match: re.Match) -> Reply:
    return identity.userinfo(app.org, app.base_url, app.org.session_user(bearer(req.headers)))


def _identity(app: App, req: Request, match: re.Match) -> Reply:
    return identity.identity(app.org, app.base_url, app.org.session_user(bearer(req.headers)))


def _metadata(app: App, req: Request, match: re.Match) -> Reply:
    status, payload = metadata_api.handle(app.org, req.body, match.group(1))
    return status, soap.CONTENT_TYPE, payload


# --- REST: a session and a supported API version first (401, then 404), as Salesforce --------

RestHandler = Callable[[App, Request, re.Match, User], Reply]


def _session(handler: RestHandler) -> Handler:
    def checked(app: App, req: Request, match: re.Match) -> Reply:
        user = app.org.session_user(bearer(req.headers))
        if user is None:
            return _no_session()
        if not rest.supported_version(match.group("v")):
            return _not_found()
        return handler(app, req, match, user)
    return checked


def _no_session() -> Reply:
    return rest_error(401, "INVALID_SESSION_ID", "Session expired or invalid")


def _not_found() -> Reply:
    return rest_error(404, "NOT_FOUND", "The requested resource does not exist")


def _version(match: re.Match) -> str:
    return f"v{match.group('v')}.0"


def _tooling(match: re.Match) -> bool:
    return bool(match.group("tooling"))


def _rest_other(app: App, req: Request, match: re.Match) -> Reply:
    """Any other URL under /services/data: 401 without a session, 404 for an unknown version,
    405 for methods other than GET, else 404."""
    if app.org.session_user(bearer(req.headers)) is None:
        return _no_session()
    version = re.match(r"/services/data/v(\d+)\.0(?:/|$)", req.path)
    if version is None or not rest.supported_version(version.group(1)):
        return _not_found()
    if req.method != "GET":
        return _not_allowed(req.method, "GET")
    return _not_found()


def _rest_deploy(app: App, req: Request, match: re.Match, user: User) -> Reply:
    rest_path = [p for p in (match.group("rest") or "").split("/") if p]
    return rest_deploy.handle(app.org, user, req.method, _version(match), rest_path, req.query,
                              req.body, req.headers.get("Content-Type") or "")


def _rest_resources(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.resources(_version(match), _tooling(match), user, app.base_url)


def _rest_query(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.query(_version(match), _tooling(match), req.query)


def _rest_more(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.more(match.group("locator"))


def _rest_record(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.record(_version(match), match.group("sobject"), match.group("id"),
                           _tooling(match))


def _rest_global_describe(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.global_describe(_version(match), _tooling(match))


def _rest_sobject(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.sobject_info(_version(match), match.group("sobject"), _tooling(match),
                                 full=False)


def _rest_describe(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.sobject_info(_version(match), match.group("sobject"), _tooling(match),
                                 full=True)


def _bulk_jobs(app: App, req: Request, match: re.Match, user: User) -> Reply:
    if req.method == "POST":
        return app.rest.bulk.create(user, _version(match), req.body)
    if req.method == "GET":
        return app.rest.bulk.list()
    return _not_allowed(req.method, "GET, POST")


def _bulk_job(app: App, req: Request, match: re.Match, user: User) -> Reply:
    job = match.group("job")
    if req.method == "GET":
        return app.rest.bulk.get(job)
    if req.method == "PATCH":
        return app.rest.bulk.abort(job, req.body)
    if req.method == "DELETE":
        return app.rest.bulk.delete(job)
    return _not_allowed(req.method, "GET, PATCH, DELETE")


def _bulk_results(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.bulk.results(match.group("job"), req.query)


def _not_allowed(method: str, allowed: str) -> Reply:
    return rest_error(405, "METHOD_NOT_ALLOWED",
                      f"HTTP Method '{method}' not allowed. Allowed are {allowed}")


def _rest_record_count(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.record_count(req.query)


def _rest_limits(app: App, req: Request, match: re.Match, user: User) -> Reply:
    return app.rest.limits(app.limit_info())


_V = r"/services/data/v(?P<v>\d+)\.0"
_VT = _V + r"(?P<tooling>/tooling)?"

ROUTES: tuple[Route, ...] = tuple(Route(method, re.compile(pattern), handler, kind) for
                                  method, pattern, handler, kind in (
    ("POST", r"/services/Soap/u/(\d+\.\d)(?:/.*)?", _soap_login, "soap_login"),
    ("POST", r"/services/oauth2/token", _oauth_token, "oauth"),
    (None, r"/services/oauth2/userinfo", _userinfo, "oauth"),
    (None, r"/id/.+", _identity, "oauth"),
    ("POST", r"/services/Soap/m/(\d+\.\d)(?:/.*)?", _metadata, "soap"),
    (None, r"/services/data", lambda app, req, match: app.rest.versions(), "rest"),
    (None, _V + r"/metadata/deployRequest(?:/(?P<rest>.*))?", _session(_rest_deploy), "rest"),
    ("GET", _VT, _session(_rest_resources), "rest"),
    ("GET", _VT + r"/(?:query|queryAll)", _session(_rest_query), "rest"),
    ("GET", _VT + r"/(?:query|queryAll)/(?P<locator>[^/]+)", _session(_rest_more), "rest"),
    ("GET", _VT + r"/sobjects", _session(_rest_global_describe), "rest"),
    ("GET", _VT + r"/sobjects/(?P<sobject>[^/]+)", _session(_rest_sobject), "rest"),
    ("GET", _VT + r"/sobjects/(?P<sobject>[^/]+)/describe", _session(_rest_describe), "rest"),
    ("GET", _VT + r"/sobjects/(?P<sobject>[^/]+)/(?P<id>[^/]+)", _session(_rest_record), "rest"),
    (None, _V + r"/jobs/query", _session(_bulk_jobs), "rest"),
    (None, _V + r"/jobs/query/(?P<job>[^/]+)", _session(_bulk_job), "rest"),
    ("GET", _V + r"/jobs/query/(?P<job>[^/]+)/results", _session(_bulk_results), "rest"),
    ("GET", _V + r"/limits/recordCount", _session(_rest_record_count), "rest"),
    ("GET", _V + r"/limits", _session(_rest_limits), "rest"),
    (None, r"/services/data/.*", _rest_other, "rest"),
))
