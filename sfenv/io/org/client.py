"""One connected org: the facade the services call (`OrgClient`, `connect`).

The work is in one module per call, all over one SOAP stack (`soap`: lxml envelopes, the
hardened parser):
- `describe` (describeMetadata), `listing` (listMetadata), `retrieve` (retrieve +
  checkRetrieveStatus), `deploy` (deploy + checkDeployStatus + deployRecentValidation +
  cancelDeploy), `read` (readMetadata);
- `rest`: SOQL and Tooling queries, counts, `/limits`, the audit trail, DeployRequest;
- `retry`: how each call is retried, renewed after an expired session, or stopped (the
  daily and the concurrent request limits);
- `auth`: the logins.
Every call makes the HTTP requests it made before the split: one per call and attempt.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from lxml import etree
from simple_salesforce.api import Salesforce

from sfenv.config.model import EnvConfig
from sfenv.errors import (
    AuthError,
    DeployUnknownError,
    OrgError,
    SessionExpiredError,
    SubmitUnknownError,
)
from sfenv.io.org import deploy as deploy_call
from sfenv.io.org import describe as describe_call
from sfenv.io.org import listing as listing_call
from sfenv.io.org import read as read_call
from sfenv.io.org import retrieve as retrieve_call
from sfenv.io.org.auth import Session, TransientLoginError, http_session, login
from sfenv.io.org.deploy import ALREADY_DEPLOYED, DeployResult
from sfenv.io.org.rest import Rest
from sfenv.io.org.retrieve import RetrieveResult, RetrieveStatus
from sfenv.io.org.retry import (
    MAX_RELOGINS,
    REQUEST_LIMIT,
    SESSION_CODES,
    TRANSIENT_FAULTS,
    TRANSIENT_HTTP,
    Caller,
    RetryPolicy,
)
from sfenv.io.org.soap import MD_NS, AnswerError, Endpoint

__all__ = ["ALREADY_DEPLOYED", "MAX_RELOGINS", "MD_NS", "REQUEST_LIMIT", "SESSION_CODES",
           "TRANSIENT_FAULTS", "TRANSIENT_HTTP", "DeployResult", "OrgClient", "RetrieveResult",
           "RetrieveStatus", "RetryPolicy", "connect", "sf_datetime"]

T = TypeVar("T")
# auth methods whose session can be renewed by logging in again
RENEWABLE_AUTH = {"password", "sfdx_url", "jwt", "sf_cli"}


class OrgClient:
    """A logged-in org. Thread-safe for parallel list/retrieve calls."""

    def __init__(self, env: EnvConfig, api_version: str, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 120.0,
                 clock: Callable[[], float] = time.monotonic, poll: float = 0.5,
                 max_poll: float = 10.0) -> None:
        self.env = env
        # first and longest wait between status asks of a retrieve or deploy (sfenv.yml's
        # pull.poll_interval / poll_max_interval when the caller passes them)
        self.poll = poll
        self.max_poll = max_poll
        self.api_version = api_version
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep
        self._http = http_session(env)
        self._lock = threading.Lock()
        self._session: Session | None = None
        self.relogins = 0
        self._caller = Caller(env.name, self.retry, self, sleep=sleep, clock=clock)
        self._rest = Rest(lambda: self.sf, self._caller)
        self._connect()

    # --- session -----------------------------------------------------------------------
    def _connect(self) -> None:
        session = self._login_with_retries()
        if not session.instance_url:
            raise AuthError(f"environment '{self.env.name}': no instance URL after login")
        self._session = session
        self.sf = Salesforce(instance_url=session.instance_url, session_id=session.session_id,
                             session=self._http, version=self.api_version)
        self._md = Endpoint(self._http, f"{session.instance_url}/services/Soap/m/"
                            f"{self.api_version}", self._session_id, self.timeout)
        # no re-login inside a (re-)login: `relogin` holds the lock while it runs this
        self.org_id = session.org_id or self._query_org_id()

    def _session_id(self) -> str:
        assert self._session is not None
        return self._session.session_id

    def _query_org_id(self) -> str:
        rows = self._call("query", lambda: list(self.sf.query_all(
            "SELECT Id FROM Organization").get("records", [])), relogin=False)
        return str(rows[0]["Id"]) if rows else ""

    def _login_with_retries(self) -> Session:
        """Login, retried with backoff when the login endpoint answers 5xx or is unreachable."""
        for attempt in range(self.retry.attempts):
            try:
                return login(self.env, self.api_version, self._http, timeout=self.timeout)
            except TransientLoginError:
                if attempt + 1 >= self.retry.attempts:
                    raise
                self._sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")

    @property
    def instance_url(self) -> str:
        assert self._session is not None
        return self._session.instance_url

    @property
    def username(self) -> str | None:
        return self._session.username if self._session else None

    @property
    def calls(self) -> int:
        """HTTP requests of API calls made so far (logins excluded)."""
        return self._caller.calls

    def session(self) -> Session | None:
        """The current session (`retry.Renew`): a renewal compares it to the one it saw."""
        return self._session

    def relogin(self, seen: object, what: str) -> None:
        """Log in again (`retry.Renew`), unless another thread did since `seen`."""
        if self.env.auth not in RENEWABLE_AUTH:
            raise SessionExpiredError(
                f"{self.env.name}: {what} failed: the session expired and auth "
                f"'{self.env.auth}' cannot renew it (set a fresh token in "
                f"{self.env.access_token_env or 'the access token variable'})",
                code="INVALID_SESSION_ID")
        with self._lock:
            if self._session is seen:
                self.relogins += 1
                self._connect()

    # --- one call with retries ------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], T], *, relogin: bool = True) -> T:
        return self._caller.call(what, fn, relogin=relogin)

    def _submit(self, what: str, fn: Callable[[], T]) -> T:
        return self._caller.submit(what, fn)

    def _soap(self, request: Callable[[str], etree._Element]) -> etree._Element:
        return self._md.post(request)

    def _answer_error(self, err: AnswerError) -> OrgError:
        return OrgError(f"{self.env.name}: {err}")

    # --- REST -------------------------------------------------------------------------------
    def query(self, soql: str, *, tooling: bool = False) -> list[dict[str, Any]]:
        return self._rest.query(soql, tooling=tooling)

    def count(self, soql: str, *, tooling: bool = False) -> int:
        """The row count of a `SELECT COUNT() …` query (its totalSize; no rows come back)."""
        return self._rest.count(soql, tooling=tooling)

    def audit_trail(self, since: str | None = None, limit: int = 2000) -> list[dict[str, Any]]:
        """SetupAuditTrail rows, newest first, flattened (`CreatedBy.Name` -> `CreatedByName`)."""
        return self._rest.audit_trail(since, limit)

    def limits(self) -> dict[str, Any]:
        """The org's `/limits` (name -> {Max, Remaining, …}): daily API requests, storage…"""
        return self._rest.limits()

    def recent_deploys(self, since: str) -> list[dict[str, Any]]:
        """The org's real deploys created at or after `since` (see `rest.Rest`)."""
        return self._rest.recent_deploys(since)

    # --- Metadata API -----------------------------------------------------------------------
    def describe(self) -> list[dict[str, Any]]:
        root = self._call("describeMetadata", lambda: self._soap(
            lambda sid: describe_call.request(sid, self.api_version)))
        return describe_call.read(root)

    def list_metadata(self, queries: list[dict[str, Any]], fields: Collection[str] | None = None) -> list[dict[str, Any]]:
        """One listMetadata call (at most 3 queries, as Salesforce allows): FileProperties
        rows, with only `fields` when given. Values stay Salesforce's text (dates as
        `2026-10-02T14:31:07.000Z`). The answer (12 MB for the CustomField list of a large
        org) is read as it streams through lxml (`soap.Endpoint.post_for_rows`)."""
        if len(queries) > listing_call.MAX_QUERIES:
            raise ValueError("listMetadata takes at most 3 queries")
        return self._call(listing_call.describe(queries), lambda: self._md.post_for_rows(
            lambda sid: listing_call.request(sid, queries, self.api_version), "listMetadata",
            fields))

    def read_metadata(self, type_name: str, full_names: list[str]) -> list[dict[str, Any]]:
        root = self._call(f"readMetadata({type_name})", lambda: self._soap(
            lambda sid: read_call.request(sid, type_name, full_names)))
        return read_call.read(root)

    def start_retrieve(self, members: dict[str, list[str]]) -> str:
        root = self._call("retrieve", lambda: self._soap(
            lambda sid: retrieve_call.request(sid, members, self.api_version)))
        try:
            return retrieve_call.read_id(root)
        except AnswerError as err:
            raise self._answer_error(err) from None

    def check_retrieve(self, process_id: str, include_zip: bool) -> RetrieveStatus:
        """One checkRetrieveStatus."""
        root = self._call("checkRetrieveStatus", lambda: self._soap(
            lambda sid: retrieve_call.check_request(sid, process_id, include_zip)))
        try:
            return retrieve_call.read_status(root)
        except AnswerError as err:
            raise self._answer_error(err) from None

    def retrieve(self, members: dict[str, list[str]], *, poll: float | None = None,
                 max_poll: float | None = None, timeout: float = 3600.0) -> RetrieveResult:
        """Start a retrieve and poll with backoff until done; a Failed retrieve raises
        OrgError with Salesforce's status code (LIMIT_EXCEEDED, UNKNOWN_EXCEPTION...)."""
        from sfenv.core.metadata.ziputil import read_zip

        process_id = self.start_retrieve(members)
        result = self._poll(f"retrieve {process_id}",
                            lambda: self.check_retrieve(process_id, include_zip=True),
                            poll, max_poll, timeout)
        if result.status != "Succeeded":
            code = result.error_code or "UNKNOWN_EXCEPTION"
            raise OrgError(f"{self.env.name}: retrieve failed: {code}: {result.error_message}", code=code)
        files = read_zip(result.zip_bytes, f"retrieve {process_id} from {self.env.name}")
        files.pop("package.xml", None)
        return RetrieveResult(process_id, result.status, files, result.messages, result.zip_bytes)

    def deploy(self, zip_bytes: bytes, *, check_only: bool = False, test_level: str = "NoTestRun",
               run_tests: tuple[str, ...] = (), purge_on_delete: bool = False,
               rollback_on_error: bool = True, poll: float | None = None,
               max_poll: float | None = None,
               timeout: float = 7200.0) -> DeployResult:
        """Submit and follow a deploy. A validation (`check_only`) changes nothing, so its
        submit is retried like any call; a real deploy's submit is not (`submit_deploy`)."""
        deploy_id = self.submit_deploy(zip_bytes, check_only=check_only, test_level=test_level,
                                       run_tests=run_tests, purge_on_delete=purge_on_delete,
                                       rollback_on_error=rollback_on_error)
        return self._wait_deploy(deploy_id, check_only, poll, max_poll, timeout)

    def submit_deploy(self, zip_bytes: bytes, *, check_only: bool = False,
                      test_level: str = "NoTestRun", run_tests: tuple[str, ...] = (),
                      purge_on_delete: bool = False, rollback_on_error: bool = True) -> str:
        """Start a deploy; the id the org accepted. For a real deploy, a lost answer raises
        SubmitUnknownError instead of submitting the package a second time."""
        options = deploy_call.options(check_only=check_only, test_level=test_level,
                                      run_tests=tuple(run_tests),
                                      purge_on_delete=purge_on_delete,
                                      rollback_on_error=rollback_on_error)

        def submit() -> etree._Element:
            return self._soap(lambda sid: deploy_call.request(sid, zip_bytes, options))

        root = self._call("deploy", submit) if check_only else self._submit("deploy", submit)
        try:
            return deploy_call.read_id(root)
        except AnswerError as err:
            if check_only:
                raise self._answer_error(err) from None
            raise self._lost_answer("deploy", err) from None

    def deploy_status(self, deploy_id: str, *, check_only: bool = False) -> DeployResult:
        """One checkDeployStatus of a deploy submitted earlier (to resume after an interruption)."""
        return deploy_call.result(self._check_deploy(deploy_id), check_only)

    def _check_deploy(self, deploy_id: str) -> dict[str, Any]:
        root = self._call("checkDeployStatus", lambda: self._soap(
            lambda sid: deploy_call.check_request(sid, deploy_id)))
        try:
            return deploy_call.read_status(root)
        except AnswerError as err:
            raise self._answer_error(err) from None

    def quick_deploy(self, validation_id: str, *, poll: float | None = None,
                     max_poll: float | None = None,
                     timeout: float = 7200.0) -> DeployResult:
        deploy_id = self.submit_quick_deploy(validation_id)
        return self._wait_deploy(deploy_id, False, poll, max_poll, timeout)

    def submit_quick_deploy(self, validation_id: str) -> str:
        """Start a quick deploy of a validation; the deploy id Salesforce accepted. A lost
        answer (or "already deployed") raises SubmitUnknownError, never a second submit."""
        root = self._submit("deployRecentValidation", lambda: self._soap(
            lambda sid: deploy_call.quick_request(sid, validation_id)))
        try:
            return deploy_call.read_id(root, "deployRecentValidation")
        except AnswerError as err:
            raise self._lost_answer("deployRecentValidation", err) from None

    def cancel_deploy(self, deploy_id: str) -> bool:
        """Ask the org to cancel a queued or running deploy; whether it is canceled already
        (else it is being canceled: follow it with `wait_deploy`)."""
        root = self._call("cancelDeploy", lambda: self._soap(
            lambda sid: deploy_call.cancel_request(sid, deploy_id)))
        try:
            return deploy_call.read_cancel(root)
        except AnswerError as err:
            raise self._answer_error(err) from None

    def _lost_answer(self, what: str, err: AnswerError) -> OrgError:
        """A submit's answer came back without an id: the org may have accepted it."""
        return SubmitUnknownError(f"{self.env.name}: {what}: the answer was lost ({err}); the "
                                  "org may have accepted it")

    def wait_deploy(self, deploy_id: str, *, check_only: bool = False,
                    poll: float | None = None, max_poll: float | None = None, timeout: float = 7200.0) -> DeployResult:
        """Follow an accepted deploy (or validation) by id to its end."""
        return self._wait_deploy(deploy_id, check_only, poll, max_poll, timeout)

    def _wait_deploy(self, deploy_id: str, check_only: bool, poll: float | None,
                     max_poll: float | None,
                     timeout: float) -> DeployResult:
        """Follow an accepted deploy to its end. When its status cannot be read (polls fail,
        the wait runs out), DeployUnknownError carries the id: the org may still apply it,
        so the caller must not submit the package again."""
        try:
            raw = self._poll(f"deploy {deploy_id}", lambda: self._check_deploy(deploy_id),
                             poll, max_poll, timeout, done=lambda r: bool(r.get("done")))
        except OrgError as err:
            raise DeployUnknownError(
                f"{self.env.name}: deploy {deploy_id} was accepted but its outcome is unknown "
                f"({err}); check it with its id before deploying again",
                deploy_id=deploy_id, code=err.code) from None
        return deploy_call.result(raw, check_only)

    def _poll(self, what: str, check: Callable[[], Any], poll: float | None,
              max_poll: float | None, timeout: float,
              done: Callable[[Any], bool] | None = None) -> Any:
        """Ask `check()` until the async job says done, backing off from `poll` to `max_poll`
        seconds between asks (Salesforce's guidance for retrieve and deploy status); the
        client's own settings when the caller gives none."""
        started = time.monotonic()
        delay = self.poll if poll is None else poll
        max_poll = self.max_poll if max_poll is None else max_poll
        while True:
            result = check()
            if result.done if done is None else done(result):
                return result
            if time.monotonic() - started > timeout:
                raise OrgError(f"{self.env.name}: {what} not done after {timeout:.0f}s")
            self._sleep(delay)
            delay = min(max_poll, delay * 1.5)


def sf_datetime(value: datetime.datetime) -> str:
    """Salesforce's own form: `2026-10-02T14:31:07.000Z` (UTC, milliseconds)."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def connect(env: EnvConfig, api_version: str, **kwargs: Any) -> OrgClient:
    """Log in to `env` and return a client (AuthError / OrgError, exit code 3)."""
    return OrgClient(env, api_version, **kwargs)
