"""An OrgClient over canned HTTP answers: no server, no login. Each answer is
(status, body); the client's requests are kept (operation name, session id, body)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import requests
from lxml import etree

from sfenv.config.model import EnvConfig
from sfenv.io.org import client as client_module
from sfenv.io.org.auth import Session
from sfenv.io.org.retry import RetryPolicy

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MD = "http://soap.sforce.com/2006/04/metadata"
HTML_503 = (503, b"<html><head><title>503 Service Unavailable</title></head><body><h1>"
                 b"Service Unavailable</h1></body></html>")


def envelope(operation: str, result: str) -> tuple[int, bytes]:
    """A 200 answer of `operation` with `result` (XML text inside `<result>`s)."""
    return 200, (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{ENV}"'
                 f' xmlns="{MD}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                 f"<soapenv:Body><{operation}Response>{result}</{operation}Response>"
                 "</soapenv:Body></soapenv:Envelope>").encode()


def fault(code: str, message: str, status: int = 500) -> tuple[int, bytes]:
    return status, (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
                    f'"{ENV}" xmlns:sf="http://soap.sforce.com/2006/04/metadata"><soapenv:Body>'
                    f"<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: "
                    f"{message}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
                    ).encode()


@dataclass
class Sent:
    operation: str
    session_id: str
    body: etree._Element


class _Response:
    def __init__(self, status: int, content: bytes) -> None:
        self.status_code = status
        self.content = content
        self.headers = {"Content-Type": "text/xml"}


class CannedHttp(requests.Session):
    """A requests session whose requests get the canned answers (nothing goes out)."""

    def __init__(self, answers: list[tuple[int, bytes] | Exception]) -> None:
        super().__init__()
        self.answers = answers
        self.sent: list[Sent] = []

    def send(self, request, **kwargs):  # type: ignore[override]
        root = etree.fromstring(request.body)
        session = root.findtext(f".//{{{MD}}}sessionId") or ""
        op = root.find(f"{{{ENV}}}Body")[0]
        self.sent.append(Sent(etree.QName(op).localname, session, op))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return _Response(*answer)


class Canned:
    """`client`: an OrgClient whose logins hand out sessions SID1, SID2, … and whose HTTP
    answers come from `answers` in order; `sleeps`: the backoff delays it asked for."""

    def __init__(self, monkeypatch, answers: Iterable[tuple[int, bytes] | Exception], *,
                 auth: str = "password", policy: RetryPolicy | None = None) -> None:
        self.http = CannedHttp(list(answers))
        self.logins = 0
        self.sleeps: list[float] = []
        self.now = 0.0

        def login(env, api_version, http, timeout=None):
            self.logins += 1
            return Session("https://canned.example", f"SID{self.logins}", "u@x", "00D000000000001")

        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.now += seconds

        monkeypatch.setattr(client_module, "login", login)
        monkeypatch.setattr(client_module, "http_session", lambda env: self.http)
        self.client = client_module.OrgClient(
            EnvConfig(name="qa", login_url="https://canned.example", auth=auth),
            "62.0", retry=policy or RetryPolicy(), sleep=sleep, clock=lambda: self.now)

    @property
    def operations(self) -> list[str]:
        return [s.operation for s in self.http.sent]
