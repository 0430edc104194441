"""How every org call is retried, renewed or stopped, for the SOAP and the REST calls alike.

- `Caller.call`: a call that changes nothing (a list, a status poll, a query, a validation's
  submit) retries 5xx answers, error pages and network errors with backoff, and logs in again
  on an expired session.
- `Caller.submit`: a deploy's submit is never sent twice when the org may have accepted it
  (SubmitUnknownError instead); only a request that surely never reached the org is retried.
- Request limits: REQUEST_LIMIT_EXCEEDED is two limits under one code, told apart by the
  message. `TotalRequests Limit exceeded.` is the rolling 24-hour allowance: nothing helps
  for hours, so the call stops at once. `ConcurrentRequests (Concurrent API Requests) Limit
  exceeded.` (SOAP) or `ConcurrentPerOrgLongTxn Limit exceeded.` (REST) says the org already
  runs as many long calls as it allows (25 of 20 s or more in production and sandboxes, 5 in
  Developer Edition and trial orgs): other jobs of the same org hold them, so the call backs
  off with jitter and asks again, up to `RetryPolicy.limit_wait` seconds, then stops with a
  one-line error naming the limit. The org's own answer is the shared lock: jobs of one org
  need no lock server of sfenv's, and a refused call did not run, so asking again is safe
  for a deploy's submit too.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import requests
from simple_salesforce.exceptions import SalesforceError

from sfenv.errors import OrgError, RequestLimitError, SessionExpiredError, SubmitUnknownError
from sfenv.io.org.deploy import ALREADY_DEPLOYED
from sfenv.io.org.soap import HttpError, SoapFault

T = TypeVar("T")

# UNKNOWN_EXCEPTION as a SOAP fault of a call is usually passing; a member that breaks a
# retrieve reports it in the retrieve result instead (handled by the pull's bisection).
TRANSIENT_FAULTS = {"SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"}
REQUEST_LIMIT = "REQUEST_LIMIT_EXCEEDED"
SESSION_CODES = {"INVALID_SESSION_ID"}
MAX_RELOGINS = 3  # per call
TRANSIENT_HTTP = {500, 502, 503, 504}
CONCURRENT_MARK = "concurrent"  # in the message of the concurrent-call limits, not the daily one


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    # the concurrent long-call limit: how long a call keeps asking, and its backoff
    limit_wait: float = 300.0
    limit_base_delay: float = 2.0
    limit_max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        growth: float = 2**attempt  # int ** int is typed Any (a negative power is a float)
        return min(self.max_delay, self.base_delay * growth) * (0.5 + random.random() / 2)

    def limit_delay(self, attempt: int) -> float:
        """Full jitter: jobs refused together do not come back together."""
        growth: float = 2**attempt
        top = min(self.limit_max_delay, self.limit_base_delay * growth)
        return top * (0.25 + random.random() * 0.75)


class Renew(Protocol):
    """What the caller needs of the client: the current session token (to see whether
    another thread renewed it already) and a way to log in again."""

    def session(self) -> object: ...

    def relogin(self, seen: object, what: str) -> None: ...


@dataclass
class _Tries:
    """Where one call stands: attempts spent, new logins, waits for the concurrent limit."""

    started: float
    attempt: int = 0
    relogins: int = 0
    limited: int = 0


class Caller:
    """Runs one org call with the rules above; counts the HTTP requests it makes."""

    def __init__(self, name: str, policy: RetryPolicy, renew: Renew,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.policy = policy
        self.renew = renew
        self.sleep = sleep
        self.clock = clock
        self.calls = 0
        self.limit_waits = 0  # times a call waited for the concurrent limit

    def call(self, what: str, fn: Callable[[], T], *, relogin: bool = True) -> T:
        """`fn()` with bounded retries: 5xx and network errors back off and retry, an expired
        session logs in once more (`relogin`), the daily request limit stops at once. Every
        ask but a wait for the concurrent limit spends one of `policy.attempts`."""
        tries = _Tries(self.clock(), relogins=0 if relogin else MAX_RELOGINS)
        while tries.attempt < self.policy.attempts:
            session = self.renew.session()
            self.calls += 1
            try:
                return fn()
            except (SoapFault, SalesforceError) as err:
                if self._asked_again(err, what, session, tries):
                    continue
                if isinstance(err, SoapFault):
                    code = err.code
                    # no code: a fault with none, or an XML error page
                    if (code in TRANSIENT_FAULTS or not code) and self._again(tries):
                        continue
                    raise OrgError(f"{self.name}: {what} failed: {code or 'HTTP error page'}: "
                                   f"{err.message}", code=code or None) from None
                if err.status in TRANSIENT_HTTP and self._again(tries):
                    continue
                raise OrgError(f"{self.name}: {what} failed: HTTP {err.status}: "
                               f"{rest_message(err)}", code=rest_code(err)) from None
            except HttpError as err:
                if err.status_code in TRANSIENT_HTTP and self._again(tries):
                    continue
                raise OrgError(f"{self.name}: {what} failed: HTTP {err.status_code}") from None
            except (requests.ConnectionError, requests.Timeout) as err:
                if self._again(tries):
                    continue
                raise OrgError(f"{self.name}: {what} failed: {type(err).__name__}") from None
        raise OrgError(f"{self.name}: {what} failed after {self.policy.attempts} attempts")

    def submit(self, what: str, fn: Callable[[], T]) -> T:
        """`fn()` (a deploy submit) without retrying anything the org may have accepted: an
        expired session logs in again, a connect timeout and the concurrent limit are retried
        (the org did not take the request); a 5xx, an HTML error page, a closed connection or
        "already deployed" raise SubmitUnknownError; any other fault is a refusal."""
        tries = _Tries(self.clock())
        while tries.attempt < self.policy.attempts:
            session = self.renew.session()
            self.calls += 1
            try:
                return fn()
            except SoapFault as fault:
                if self._asked_again(fault, what, session, tries):
                    continue
                code = fault.code
                if code in TRANSIENT_FAULTS or not code or ALREADY_DEPLOYED in fault.message:
                    raise SubmitUnknownError(
                        f"{self.name}: {what}: the answer was lost "
                        f"({code or 'HTTP error page'}: {fault.message}); the org may have "
                        f"accepted it", code=code or None) from None
                raise OrgError(f"{self.name}: {what} failed: {code}: {fault.message}",
                               code=code) from None
            except HttpError as err:
                raise SubmitUnknownError(f"{self.name}: {what}: the answer was lost (HTTP "
                                         f"{err.status_code}); the org may have accepted it"
                                         ) from None
            except requests.ConnectTimeout:
                if self._again(tries):
                    continue
                raise OrgError(f"{self.name}: {what} failed: ConnectTimeout") from None
            except (requests.ConnectionError, requests.Timeout) as err:
                raise SubmitUnknownError(f"{self.name}: {what}: the answer was lost "
                                         f"({type(err).__name__}); the org may have accepted "
                                         f"it") from None
        raise OrgError(f"{self.name}: {what} failed after {self.policy.attempts} attempts")

    def _asked_again(self, err: SoapFault | SalesforceError, what: str, session: object,
                     tries: _Tries) -> bool:
        """The answers both loops treat alike, SOAP or REST: a request limit waits (the
        concurrent one) or stops (the daily one), an expired session logs in again. True
        when the call should be asked again."""
        code: str | None
        if isinstance(err, SoapFault):
            code, message, expired = err.code, err.message, err.code in SESSION_CODES
        else:
            code, message, expired = rest_code(err), rest_message(err), err.status == 401
        if code == REQUEST_LIMIT:
            tries.limited = self._limited(what, message, tries.started, tries.limited)
            return True
        if expired:
            tries.relogins = self._renew(session, what, tries.relogins)
            tries.attempt += 1
            return True
        return False

    def _again(self, tries: _Tries) -> bool:
        """Back off before another attempt, if one is left (and count it)."""
        if tries.attempt + 1 >= self.policy.attempts:
            return False
        self.sleep(self.policy.delay(tries.attempt))
        tries.attempt += 1
        return True

    def _limited(self, what: str, message: str, started: float, waits: int) -> int:
        """REQUEST_LIMIT_EXCEEDED: the daily allowance stops at once; the concurrent limit
        backs off and lets the caller ask again until `limit_wait` runs out."""
        if CONCURRENT_MARK not in message.lower():
            raise self.limit_error(what)
        delay = self.policy.limit_delay(waits)
        waited = self.clock() - started
        if waited + delay > self.policy.limit_wait:
            named = message.split(f"{REQUEST_LIMIT}:", 1)[-1]  # faultstrings repeat the code
            limit = named.split(" Limit", 1)[0].strip() or "ConcurrentRequests"
            raise RequestLimitError(
                f"{self.name}: {what} failed: REQUEST_LIMIT_EXCEEDED: {limit}: the org refused "
                f"it for {waited:.0f}s because it already runs as many long calls as it allows "
                "(25 calls of 20 s or more at a time in production and sandboxes, 5 in "
                "Developer Edition and trial orgs); other jobs of this org hold them: run "
                "fewer at once, or try again later", code=REQUEST_LIMIT)
        self.limit_waits += 1
        self.sleep(delay)
        return waits + 1

    def limit_error(self, what: str) -> RequestLimitError:
        return RequestLimitError(
            f"{self.name}: {what} failed: REQUEST_LIMIT_EXCEEDED: the org's API request "
            "limit is used up (a rolling 24-hour allowance; see DailyApiRequests in "
            "/services/data/vXX.X/limits); nothing was recorded, try again when it has reset",
            code=REQUEST_LIMIT)

    def _renew(self, session: object, what: str, relogins: int) -> int:
        """Log in again after an expired session (other threads may have expired the new one
        already: a few renewals per call, then a one-line error)."""
        if relogins >= MAX_RELOGINS:
            raise SessionExpiredError(f"{self.name}: {what} failed: the session expired "
                                      f"again after {MAX_RELOGINS} new logins",
                                      code="INVALID_SESSION_ID")
        self.renew.relogin(session, what)
        return relogins + 1


def rest_code(err: SalesforceError) -> str | None:
    content = err.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


def rest_message(err: SalesforceError) -> str:
    content = err.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode')}: {content[0].get('message')}"
    return str(content)[:200]
