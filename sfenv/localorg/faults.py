"""Fault injection for one local org server, so sfenv's retries, backoff and skip lists can be
tested against the failures real orgs produce.

The server asks `decide(kind)` before dispatching each request (`kind` is "soap_login",
"oauth", "soap" (Metadata API) or "rest"); the answer says what to do instead of, or before,
the real work. Randomness comes from `random.Random(seed)`, so a run with a seed repeats.

Hooks read by `mdapi/api.py` (kept as plain attributes):
- `unknown_exception_members: set[str]` ("Type:FullName"): a retrieve that asks for one of these
  fails with UNKNOWN_EXCEPTION (call `count("unknown_exception")` when it does),
- `truncate_zip: bool`: retrieve results carry a cut-off zip (call `count("truncated_zip")`).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass

from sfenv.localorg.replies import Reply

_UNSET = object()
API_KINDS = ("soap", "rest")  # calls that count against the API request limit and session
# the Metadata API operation of a SOAP body, and whether a deploy is a validation
_OPERATION = re.compile(rb"<(?:[\w.-]+:)?(deploy|deployRecentValidation|checkDeployStatus)[\s>/]")
_CHECK_ONLY = re.compile(rb"<(?:[\w.-]+:)?checkOnly>\s*true\s*<", re.I)
LOST_REPLY_MODES = ("503", "close")
LOSABLE = ("deploy", "quick_deploy", "validation")
# where a deploy can be stopped by `crash_at` (mdapi/api.py and mdapi/commit.py call them)
DEPLOY_STAGES = ("received", "validating", "committing", "deploying", "replying")
CRASH_EXIT = 137   # as a process killed by SIGKILL reports itself to a shell


class ConnectionDropped(Exception):
    """Raised out of the server's dispatch to close the connection without any answer (the
    request's work is done: the org accepted it, the client never hears so)."""


def _soap_operation(body: bytes) -> str | None:
    """"deploy", "quick_deploy", "validation", "status" or None for a Metadata API body."""
    found = _OPERATION.search(body[:4096])
    if found is None:
        return None
    op = found.group(1)
    if op == b"deployRecentValidation":
        return "quick_deploy"
    if op == b"checkDeployStatus":
        return "status"
    return "validation" if _CHECK_ONLY.search(body[-4096:]) else "deploy"


def _unavailable() -> Reply:
    html = ("<html><head><title>503 Service Unavailable</title></head><body><h1>Service "
            "Unavailable</h1></body></html>")
    return 503, "text/html;charset=UTF-8", html.encode()


@dataclass(frozen=True)
class Decision:
    """What to answer instead of the real response; `action` is "error" (with `status`),
    "limit" (REQUEST_LIMIT_EXCEEDED) or "expire" (sessions just timed out: answer
    INVALID_SESSION_ID)."""

    action: str
    status: int = 500
    message: str = "TotalRequests Limit exceeded."  # of a "limit": the daily allowance


class FaultInjector:
    """Per-server fault settings and counters. Thread-safe; `configure()` any time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: Counter[str] = Counter()
        self.latency_ms = 0
        self.error_rate = 0.0
        self.error_statuses: tuple[int, ...] = (500, 503)
        self.error_kinds: tuple[str, ...] = ("soap_login", "oauth", "soap", "rest")
        self.request_limit: int | None = None
        self.session_expiry_after: int | None = None
        self.unknown_exception_members: set[str] = set()
        self.truncate_zip = False
        self.deploy_failures: dict[str, str] = {}  # "Type:Name" -> problem of that component
        # accept a deploy, then lose its answer: "503" (an error page) or "close" (connection
        # closed without a reply), for `lose_reply_times` requests of the `lose_reply_of` kinds
        self.lose_reply: str | None = None
        self.lose_reply_of: tuple[str, ...] = ("deploy", "quick_deploy")
        self.lose_reply_times = 1
        # stop the whole org process at this stage of its next real deploy (DEPLOY_STAGES)
        self.crash_at: str | None = None
        self.fail_status_polls = 0  # the next N checkDeployStatus answers are 503 pages
        self._rng = random.Random(0)
        self._api_calls = 0
        self._since_expiry = 0

    def configure(self, *, latency_ms=_UNSET, error_rate=_UNSET, error_statuses=_UNSET,
                  error_kinds=_UNSET, seed=_UNSET, request_limit=_UNSET,
                  session_expiry_after=_UNSET, unknown_exception_members=_UNSET,
                  truncate_zip=_UNSET, deploy_failures=_UNSET, lose_reply=_UNSET,
                  lose_reply_of=_UNSET, lose_reply_times=_UNSET,
                  fail_status_polls=_UNSET) -> FaultInjector:
        """Change only the settings given.

        latency_ms: delay added to every request. error_rate: share (0..1) of requests answered
        with one of `error_statuses` (500/503), drawn from `random.Random(seed)`; `error_kinds`
        limits which requests. request_limit: API calls allowed (counted from now) before every
        API call answers REQUEST_LIMIT_EXCEEDED (None: no limit). session_expiry_after: all
        sessions time out after this many API calls (and again after as many more).
        lose_reply: "503" or "close": the next `lose_reply_times` Metadata API requests of the
        `lose_reply_of` kinds ("deploy", "quick_deploy", "validation") are carried out, then
        answered with a 503 page or a closed connection. fail_status_polls: the next N
        checkDeployStatus calls are carried out (the deploy advances) and answered with 503.
        """
        with self._lock:
            if latency_ms is not _UNSET:
                self.latency_ms = max(0, int(latency_ms or 0))
            if error_rate is not _UNSET:
                rate = float(error_rate or 0.0)
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"error_rate must be between 0 and 1, not {rate}")
                self.error_rate = rate
            if error_statuses is not _UNSET:
                statuses = tuple(int(s) for s in error_statuses)
                if not statuses or any(s not in (500, 502, 503, 504) for s in statuses):
                    raise ValueError(f"error_statuses must be 500/502/503/504: {statuses}")
                self.error_statuses = statuses
            if error_kinds is not _UNSET:
                self.error_kinds = tuple(error_kinds)
            if seed is not _UNSET:
                self._rng = random.Random(seed)
            if request_limit is not _UNSET:
                self.request_limit = None if request_limit is None else int(request_limit)
                self._api_calls = 0
            if session_expiry_after is not _UNSET:
                self.session_expiry_after = (None if session_expiry_after is None
                                             else int(session_expiry_after))
                self._since_expiry = 0
            if unknown_exception_members is not _UNSET:
                self.unknown_exception_members = set(unknown_exception_members or ())
            if truncate_zip is not _UNSET:
                self.truncate_zip = bool(truncate_zip)
            if deploy_failures is not _UNSET:
                self.deploy_failures = dict(deploy_failures or {})
            if lose_reply is not _UNSET:
                if lose_reply not in (None, *LOST_REPLY_MODES):
                    raise ValueError(f"lose_reply must be one of {LOST_REPLY_MODES}: {lose_reply!r}")
                self.lose_reply = lose_reply
            if lose_reply_of is not _UNSET:
                kinds = tuple(lose_reply_of)
                if any(k not in LOSABLE for k in kinds):
                    raise ValueError(f"lose_reply_of must name {LOSABLE}: {kinds}")
                self.lose_reply_of = kinds
            if lose_reply_times is not _UNSET:
                self.lose_reply_times = max(0, int(lose_reply_times))
            if fail_status_polls is not _UNSET:
                self.fail_status_polls = max(0, int(fail_status_polls))
        return self

    def reset(self) -> None:
        """No faults, counters at zero."""
        with self._lock:
            self._counters.clear()
        self.configure(latency_ms=0, error_rate=0.0, error_statuses=(500, 503),
                       error_kinds=("soap_login", "oauth", "soap", "rest"), seed=0,
                       request_limit=None, session_expiry_after=None,
                       unknown_exception_members=set(), truncate_zip=False,
                       deploy_failures={}, lose_reply=None,
                       lose_reply_of=("deploy", "quick_deploy"), lose_reply_times=1,
                       fail_status_polls=0)

    def crash_point(self, stage: str) -> None:
        """Stop the org process here, with no cleanup (as a kill -9 does), if `crash_at`
        names this deploy stage. Tests set it in an org run as its own process."""
        if self.crash_at == stage:
            os._exit(CRASH_EXIT)

    def decide(self, kind: str) -> Decision | None:
        """Called by the server before dispatch: sleeps for latency, then maybe a fault."""
        with self._lock:
            self._counters["requests"] += 1
            self._counters[f"requests.{kind}"] += 1
            delay = self.latency_ms / 1000.0
            decision = None
            if self.error_rate and kind in self.error_kinds and self._rng.random() < self.error_rate:
                status = self._rng.choice(self.error_statuses)
                self._counters[f"error.{status}"] += 1
                self._counters["errors"] += 1
                decision = Decision("error", status)
            elif kind in API_KINDS:
                self._api_calls += 1
                self._since_expiry += 1
                if self.request_limit is not None and self._api_calls > self.request_limit:
                    self._counters["request_limit_exceeded"] += 1
                    decision = Decision("limit", 403)
                elif (self.session_expiry_after is not None
                      and self._since_expiry > self.session_expiry_after):
                    self._since_expiry = 0
                    self._counters["sessions_expired"] += 1
                    decision = Decision("expire", 401)
            if delay:
                self._counters["delayed"] += 1
        if delay:
            time.sleep(delay)
        return decision

    def after_reply(self, kind: str, body: bytes, reply: Reply) -> Reply:
        """Called by the server with the reply of a request whose work is done: the reply to
        send instead (a 503 page), or ConnectionDropped to close the connection unanswered."""
        if kind != "soap" or (self.lose_reply is None and not self.fail_status_polls):
            return reply
        op = _soap_operation(body)
        with self._lock:
            if op == "status" and self.fail_status_polls:
                self.fail_status_polls -= 1
                self._counters["status_poll_lost"] += 1
                return _unavailable()
            if (op is None or op not in self.lose_reply_of or self.lose_reply is None
                    or self.lose_reply_times <= 0 or reply[0] != 200):
                return reply
            self.lose_reply_times -= 1
            self._counters[f"reply_lost.{op}"] += 1
            mode = self.lose_reply
        if mode == "close":
            raise ConnectionDropped(op)
        return _unavailable()

    def count(self, name: str, n: int = 1) -> None:
        """Record a fault a handler injected itself (e.g. "unknown_exception", "truncated_zip")."""
        with self._lock:
            self._counters[name] += n

    @property
    def counters(self) -> dict[str, int]:
        """A copy of the counters: requests, requests.<kind>, errors, error.<status>,
        request_limit_exceeded, sessions_expired, delayed, plus handler counts."""
        with self._lock:
            return dict(self._counters)


def parse_fault_option(text: str) -> dict:
    """`serve --fault KEY=VALUE` -> configure() kwargs, e.g. `latency_ms=200`, `error_rate=0.1`,
    `seed=7`, `request_limit=100`, `session_expiry_after=50`, `truncate_zip=true`,
    `unknown_exception_members=ApexClass:Foo,CustomObject:Bar__c`, `error_statuses=503`."""
    key, sep, value = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep:
        raise ValueError(f"--fault wants KEY=VALUE, not {text!r}")
    value = value.strip()
    ints = {"latency_ms", "seed", "request_limit", "session_expiry_after", "lose_reply_times",
            "fail_status_polls"}
    if key in ints:
        return {key: int(value)}
    if key == "error_rate":
        return {key: float(value)}
    if key == "truncate_zip":
        return {key: value.lower() in ("1", "true", "yes", "on")}
    if key == "lose_reply":
        return {key: value or None}
    if key in ("unknown_exception_members", "error_statuses", "error_kinds", "lose_reply_of"):
        items = [v.strip() for v in value.split(",") if v.strip()]
        if key == "error_statuses":
            return {key: tuple(int(v) for v in items)}
        return {key: set(items) if key == "unknown_exception_members" else tuple(items)}
    raise ValueError(f"unknown fault {key!r}")
