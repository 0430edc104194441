"""A small local stand-in for the pull-request comment APIs of GitHub, GitLab and Azure
DevOps: list (paged as they page), create, update, with the token checked."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "s3cr3t-token-value"


@dataclass
class FakeApi:
    url: str = ""
    comments: list[dict[str, Any]] = field(default_factory=list)  # {id, body, thread}
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    fail_with: int = 0

    def bodies(self) -> list[str]:
        return [c["body"] for c in self.comments]


GH_LIST = re.compile(r"/repos/acme/app/issues/(\d+)/comments")
GH_ONE = re.compile(r"/repos/acme/app/issues/comments/(\d+)")
GL_LIST = re.compile(r"/api/v4/projects/42/merge_requests/(\d+)/notes")
GL_ONE = re.compile(r"/api/v4/projects/42/merge_requests/(\d+)/notes/(\d+)")
AZ_LIST = re.compile(r"/acme/proj-id/_apis/git/repositories/repo-id/pullRequests/(\d+)/threads")
AZ_ONE = re.compile(r"/acme/proj-id/_apis/git/repositories/repo-id/pullRequests/(\d+)/threads/"
                    r"(\d+)/comments/(\d+)")


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, data: Any) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _authorised(self) -> bool:
            return TOKEN in (self.headers.get("Authorization", ""),
                             self.headers.get("PRIVATE-TOKEN", "")) or \
                self.headers.get("Authorization") == f"Bearer {TOKEN}"

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            api.requests.append((method, parts.path))
            if api.fail_with:
                return self._send(api.fail_with, {"message": "no"})
            if not self._authorised():
                return self._send(401, {"message": "Bad credentials"})
            query = parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            sent = json.loads(self.rfile.read(length) or b"null")
            path = parts.path
            if method == "GET" and (GH_LIST.fullmatch(path) or GL_LIST.fullmatch(path)):
                per, page = int(query["per_page"][0]), int(query["page"][0])
                rows = api.comments[(page - 1) * per: page * per]
                return self._send(200, [{"id": c["id"], "body": c["body"]} for c in rows])
            if method == "GET" and AZ_LIST.fullmatch(path):
                assert query["api-version"] == ["7.1"]
                threads: dict[int, list[dict[str, Any]]] = {}
                for c in api.comments:
                    threads.setdefault(c["thread"], []).append(
                        {"id": 1, "content": c["body"], "commentType": "text"})
                return self._send(200, {"value": [{"id": t, "comments": cs}
                                                  for t, cs in threads.items()],
                                        "count": len(threads)})
            if method == "POST" and (GH_LIST.fullmatch(path) or GL_LIST.fullmatch(path)):
                new = {"id": 1000 + len(api.comments), "body": sent["body"], "thread": 0}
                api.comments.append(new)
                return self._send(201, {"id": new["id"], "body": new["body"]})
            if method == "POST" and AZ_LIST.fullmatch(path):
                assert sent["comments"][0]["parentCommentId"] == 0 and sent["status"] == 1
                new = {"id": 1, "body": sent["comments"][0]["content"],
                       "thread": 500 + len(api.comments)}
                api.comments.append(new)
                return self._send(200, {"id": new["thread"], "comments": [{"id": 1}]})
            one = GH_ONE.fullmatch(path) if method == "PATCH" else None
            one = one or (GL_ONE.fullmatch(path) if method == "PUT" else None)
            if one:
                cid = int(one.groups()[-1])
                for c in api.comments:
                    if c["id"] == cid:
                        c["body"] = sent["body"]
                        return self._send(200, {"id": cid, "body": c["body"]})
                return self._send(404, {"message": "Not Found"})
            az = AZ_ONE.fullmatch(path) if method == "PATCH" else None
            if az:
                thread = int(az.group(2))
                for c in api.comments:
                    if c["thread"] == thread:
                        c["body"] = sent["content"]
                        return self._send(200, {"id": 1, "content": c["body"]})
            return self._send(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_PUT(self) -> None:
            self._handle("PUT")

    return Handler


@contextmanager
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    # a short poll: shutdown() waits for the loop's next look (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def ci_variables(provider: str, url: str, number: int = 12) -> dict[str, str]:
    """What the CI system sets in a pull-request job (the token from the secret store)."""
    if provider == "github":
        return {"GITHUB_API_URL": url, "GITHUB_REPOSITORY": "acme/app",
                "GITHUB_REF": f"refs/pull/{number}/merge", "GITHUB_TOKEN": TOKEN}
    if provider == "gitlab":
        return {"CI_API_V4_URL": f"{url}/api/v4", "CI_PROJECT_ID": "42",
                "CI_MERGE_REQUEST_IID": str(number), "GITLAB_TOKEN": TOKEN}
    return {"SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": f"{url}/acme/",
            "SYSTEM_TEAMPROJECTID": "proj-id", "BUILD_REPOSITORY_ID": "repo-id",
            "SYSTEM_PULLREQUEST_PULLREQUESTID": str(number), "SYSTEM_ACCESSTOKEN": TOKEN}
