"""One sfenv comment per pull request, updated in place (`sfenv ci comment`).

The body carries a marker (`sfenv.views.plan_comment.MARKER`, passed in); the comment with it
is found through the provider's REST API and updated, else a new one is created, so a pull
request pushed ten times still has one plan comment. Which pull request, which repository and which API come from the CI system's
standard variables; the token from a secret variable. The token is only ever put in a request
header: no message, error or result names it.

Endpoints (list, create, update):
- GitHub: `GET/POST {api}/repos/{repo}/issues/{n}/comments`, `PATCH .../issues/comments/{id}`;
- GitLab: `GET/POST {api}/projects/{id}/merge_requests/{iid}/notes`, `PUT .../notes/{id}`;
- Azure DevOps: `GET/POST {collection}{project}/_apis/git/repositories/{repo}/pullRequests/
  {id}/threads`, `PATCH .../threads/{thread}/comments/{comment}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from sfenv.errors import ConfigError, SfenvError

TIMEOUT_S = 20.0
PER_PAGE = 100
MAX_PAGES = 50  # 5,000 comments: past that, a comment list is not a pull request's
AZURE_API = "api-version=7.1"
TOKEN_ENV = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "azure": "SYSTEM_ACCESSTOKEN"}


class CommentError(SfenvError):
    """The provider's API refused or could not be reached (exit 3, like an org)."""

    exit_code = 3


@dataclass(frozen=True)
class PullRequest:
    """Where the comment goes: the provider, its API base, the PR and the auth header."""

    provider: str
    base: str  # the pull request's comment collection URL (no query)
    number: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Posted:
    action: str  # "created" | "updated"
    id: str
    provider: str
    number: str

    def to_dict(self) -> dict[str, str]:
        return {"action": self.action, "id": self.id, "provider": self.provider,
                "pull_request": self.number}


def _need(environ: Mapping[str, str], name: str, provider: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"ci comment ({provider}): ${name} is not set (the CI system sets it "
                          f"in a pull-request job)")
    return value


def pull_request(provider: str, environ: Mapping[str, str], *, number: str | None = None,
                 token_env: str | None = None) -> PullRequest:
    """The pull request of this CI job, from the provider's standard variables."""
    token_name = token_env or TOKEN_ENV[provider]
    token = environ.get(token_name, "")
    if not token:
        raise ConfigError(f"ci comment ({provider}): the token variable ${token_name} is empty "
                          f"(give it from the CI secret store)")
    if provider == "github":
        if not number:
            ref = _need(environ, "GITHUB_REF", provider)
            found = re.fullmatch(r"refs/pull/(\d+)/(?:merge|head)", ref)
            if not found:
                raise ConfigError(f"ci comment (github): GITHUB_REF {ref} is not a pull "
                                  f"request's ref: pass --pr N")
            number = found.group(1)
        api = environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        repo = _need(environ, "GITHUB_REPOSITORY", provider)
        return PullRequest(provider, f"{api}/repos/{repo}/issues/{number}/comments", number,
                           {"Authorization": f"Bearer {token}",
                            "Accept": "application/vnd.github+json",
                            "X-GitHub-Api-Version": "2022-11-28"})
    if provider == "gitlab":
        number = number or _need(environ, "CI_MERGE_REQUEST_IID", provider)
        api = _need(environ, "CI_API_V4_URL", provider).rstrip("/")
        project = quote(_need(environ, "CI_PROJECT_ID", provider), safe="")
        return PullRequest(provider, f"{api}/projects/{project}/merge_requests/{number}/notes",
                           number, {"PRIVATE-TOKEN": token})
    number = number or _need(environ, "SYSTEM_PULLREQUEST_PULLREQUESTID", provider)
    collection = _need(environ, "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", provider).rstrip("/")
    project = quote(_need(environ, "SYSTEM_TEAMPROJECTID", provider), safe="")
    repo = quote(_need(environ, "BUILD_REPOSITORY_ID", provider), safe="")
    return PullRequest(provider, f"{collection}/{project}/_apis/git/repositories/{repo}/"
                                 f"pullRequests/{number}/threads", number,
                       {"Authorization": f"Bearer {token}"})


Requester = Callable[..., requests.Response]


def _call(pr: PullRequest, request: Requester, method: str, url: str,
          payload: dict[str, Any] | None = None) -> Any:
    where = f"ci comment ({pr.provider}): {method} {url.split('?', 1)[0]}"
    try:
        response = request(method, url, headers=dict(pr.headers), json=payload,
                           timeout=TIMEOUT_S)
    except requests.RequestException as err:
        raise CommentError(f"{where}: {type(err).__name__}") from None
    if response.status_code >= 400:
        raise CommentError(f"{where}: HTTP {response.status_code} {response.reason or ''}"
                           .rstrip())
    try:
        return response.json()
    except ValueError:
        raise CommentError(f"{where}: the answer is not JSON") from None


def _find(pr: PullRequest, request: Requester, marker: str) -> tuple[str, str] | None:
    """(id, update URL) of the comment that starts with the marker, or None (a reviewer's
    comment quoting it further down is someone else's, never rewritten)."""
    if pr.provider == "azure":
        threads = _call(pr, request, "GET", f"{pr.base}?{AZURE_API}")
        for thread in threads.get("value", []) if isinstance(threads, dict) else []:
            for c in thread.get("comments") or []:
                if str(c.get("content") or "").lstrip().startswith(marker) and not c.get("isDeleted"):
                    return (f"{thread['id']}/{c['id']}",
                            f"{pr.base}/{thread['id']}/comments/{c['id']}?{AZURE_API}")
        return None
    key = "body"
    for page in range(1, MAX_PAGES + 1):
        items = _call(pr, request, "GET", f"{pr.base}?per_page={PER_PAGE}&page={page}")
        if not isinstance(items, list):
            raise CommentError(f"ci comment ({pr.provider}): the comment list is not a list")
        for c in items:
            if str(c.get(key) or "").lstrip().startswith(marker):
                url = (f"{pr.base.rsplit('/', 2)[0]}/comments/{c['id']}"
                       if pr.provider == "github" else f"{pr.base}/{c['id']}")
                return str(c["id"]), url
        if len(items) < PER_PAGE:
            return None
    return None


def upsert(pr: PullRequest, body: str, marker: str, *,
           request: Requester = requests.request) -> Posted:
    """Update the pull request's comment carrying `marker` to `body` (which must carry it
    too), or create it."""
    if marker not in body:
        raise ConfigError(f"ci comment: the body does not carry the marker {marker} (write it "
                          f"with `sfenv release plan … --format markdown-comment`)")
    found = _find(pr, request, marker)
    if pr.provider == "azure":
        if found:
            _call(pr, request, "PATCH", found[1], {"content": body})
            return Posted("updated", found[0], pr.provider, pr.number)
        made = _call(pr, request, "POST", f"{pr.base}?{AZURE_API}",
                     {"comments": [{"parentCommentId": 0, "content": body, "commentType": 1}],
                      "status": 1})
        comments = made.get("comments") or [{}]
        return Posted("created", f"{made.get('id')}/{comments[0].get('id', 1)}", pr.provider,
                      pr.number)
    if found:
        _call(pr, request, "PATCH" if pr.provider == "github" else "PUT", found[1],
              {"body": body})
        return Posted("updated", found[0], pr.provider, pr.number)
    made = _call(pr, request, "POST", pr.base, {"body": body})
    return Posted("created", str(made.get("id", "")), pr.provider, pr.number)
