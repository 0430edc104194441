"""One connected org: REST through simple-salesforce, the Metadata API through the zeep client
built on the Metadata WSDL that simple-salesforce ships.

simple-salesforce's string-template retrieve/deploy helpers neither escape member names (a
layout called `Opp & Deals` breaks them) nor expose every option, so the Metadata calls go
through the zeep service of that same WSDL, with the session's HTTP settings (CA file). The
calls a pull makes are built and read with lxml instead (`sfenv.io.org.soap`), so a pull never
pays for parsing the WSDL.
Every call retries transient failures with backoff and logs in again once on an expired
session.
"""

from __future__ import annotations

import base64
import copy
import datetime
import functools
import random
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import simple_salesforce
import zeep
from lxml import etree
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.transports import Transport

from sfenv.config.model import EnvConfig
from sfenv.errors import (
    AuthError,
    DeployUnknownError,
    OrgError,
    RequestLimitError,
    SessionExpiredError,
    SubmitUnknownError,
)
from sfenv.io.org import soap
from sfenv.io.org.auth import Session, TransientLoginError, http_session, login

MD_NS = "http://soap.sforce.com/2006/04/metadata"
# UNKNOWN_EXCEPTION as a SOAP fault of a call is usually passing; a member that breaks a
# retrieve reports it in the retrieve result instead (handled by the pull's bisection).
# REQUEST_LIMIT_EXCEEDED is not transient: the org's 24-hour API allowance is used up.
TRANSIENT_FAULTS = {"SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"}
REQUEST_LIMIT = "REQUEST_LIMIT_EXCEEDED"
SESSION_CODES = {"INVALID_SESSION_ID"}
# auth methods whose session can be renewed by logging in again
RENEWABLE_AUTH = {"password", "sfdx_url", "jwt", "sf_cli"}
MAX_RELOGINS = 3  # per call
TRANSIENT_HTTP = {500, 502, 503, 504}


@functools.cache
def _wsdl_client() -> zeep.Client:
    """Parse the Metadata WSDL once per process (it takes about a second); each org gets a
    shallow copy with its own transport, so no HTTP state is shared between orgs."""
    wsdl = Path(simple_salesforce.__file__).parent / "metadata.wsdl"
    settings = zeep.Settings(strict=False, xsd_ignore_sequence_order=True)
    return zeep.Client(wsdl.as_uri(), settings=settings)


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2**attempt)) * (0.5 + random.random() / 2)


@dataclass
class RetrieveStatus:
    """One checkRetrieveStatus answer."""

    done: bool
    status: str
    error_code: str | None = None
    error_message: str | None = None
    zip_bytes: bytes = b""
    messages: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RetrieveResult:
    id: str
    status: str
    files: dict[str, bytes] = field(default_factory=dict)
    messages: list[tuple[str, str]] = field(default_factory=list)
    zip_bytes: bytes = b""


@dataclass
class DeployResult:
    id: str
    status: str
    success: bool
    check_only: bool
    component_successes: list[dict] = field(default_factory=list)
    component_failures: list[dict] = field(default_factory=list)
    test_failures: list[dict] = field(default_factory=list)
    error_message: str | None = None
    error_code: str | None = None
    number_components_total: int = 0
    number_components_deployed: int = 0
    number_component_errors: int = 0


ALREADY_DEPLOYED = "already been deployed"


def fault_code(fault: Fault) -> str:
    code = str(fault.code or "")
    return code.split(":", 1)[-1]


class OrgClient:
    """A logged-in org. Thread-safe for parallel list/retrieve calls."""

    def __init__(self, env: EnvConfig, api_version: str, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float = 120.0) -> None:
        self.env = env
        self.api_version = api_version
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep
        self._http = http_session(env)
        self._lock = threading.Lock()
        self._session: Session | None = None
        self.calls = 0
        self.relogins = 0
        self._connect()

    # --- session -----------------------------------------------------------------------
    def _connect(self) -> None:
        session = self._login_with_retries()
        if not session.instance_url:
            raise AuthError(f"environment '{self.env.name}': no instance URL after login")
        self._session = session
        self.sf = Salesforce(instance_url=session.instance_url, session_id=session.session_id,
                             session=self._http, version=self.api_version)
        self._endpoint = f"{session.instance_url}/services/Soap/m/{self.api_version}"
        self._zeep_service = None  # built on first use: a pull never needs it
        # no re-login inside a (re-)login: `_relogin` holds the lock while it runs this
        self.org_id = session.org_id or self._query_org_id()

    @property
    def _md(self) -> Any:
        """The zeep service of the Metadata WSDL (deploys, readMetadata), built on first use."""
        with self._lock:
            if self._zeep_service is None:
                client = copy.copy(_wsdl_client())
                client.transport = Transport(session=self._http, timeout=self.timeout,
                                             operation_timeout=self.timeout)
                self._zeep_service = client.create_service(f"{{{MD_NS}}}MetadataBinding",
                                                           self._endpoint)
                self._zeep_header = client.get_element("ns0:SessionHeader")(
                    sessionId=self._session_id())
            return self._zeep_service

    @property
    def _header(self) -> Any:
        """The SessionHeader for zeep calls (after `_md`, which builds it)."""
        self._md  # noqa: B018 - builds the service and its header
        return self._zeep_header

    def _session_id(self) -> str:
        assert self._session is not None
        return self._session.session_id

    def _soap(self, request: Callable[[str], etree._Element]) -> etree._Element:
        """One lxml-built Metadata API call (`request(session_id)` -> envelope)."""
        return soap.post(self._http, self._endpoint, request(self._session_id()), self.timeout)

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

    def _relogin(self, seen_session: Session | None, what: str) -> None:
        if self.env.auth not in RENEWABLE_AUTH:
            raise SessionExpiredError(
                f"{self.env.name}: {what} failed: the session expired and auth "
                f"'{self.env.auth}' cannot renew it (set a fresh token in "
                f"{self.env.access_token_env or 'the access token variable'})",
                code="INVALID_SESSION_ID")
        with self._lock:
            if self._session is seen_session:  # another thread may have done it already
                self.relogins += 1
                self._connect()

    # --- one call with retries ------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], Any], *, relogin: bool = True) -> Any:
        """`fn()` with bounded retries: 5xx and network errors back off and retry, an expired
        session logs in once more (`relogin`), REQUEST_LIMIT_EXCEEDED stops at once."""
        relogins = 0 if relogin else MAX_RELOGINS
        for attempt in range(self.retry.attempts):
            header = self._session
            self.calls += 1
            try:
                return _unwrap(fn())
            except Fault as fault:
                code = fault_code(fault)
                if code == REQUEST_LIMIT:
                    raise self._limit_error(what) from None
                if code in SESSION_CODES:
                    relogins = self._renew(header, what, relogins)
                    continue
                # no code: zeep read an HTML error page (a 502/503 from a proxy or the pod)
                transient = code in TRANSIENT_FAULTS or not code
                if transient and attempt + 1 < self.retry.attempts:
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise OrgError(f"{self.env.name}: {what} failed: {code or 'HTTP error page'}: "
                              f"{fault.message}", code=code or None) from None
            except TransportError as err:
                if err.status_code in TRANSIENT_HTTP and attempt + 1 < self.retry.attempts:
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise OrgError(f"{self.env.name}: {what} failed: HTTP {err.status_code}") from None
            except (requests.ConnectionError, requests.Timeout) as err:
                if attempt + 1 < self.retry.attempts:
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise OrgError(f"{self.env.name}: {what} failed: {type(err).__name__}") from None
            except SalesforceError as err:
                if _rest_code(err) == REQUEST_LIMIT:
                    raise self._limit_error(what) from None
                if err.status == 401:
                    relogins = self._renew(header, what, relogins)
                    continue
                if err.status in TRANSIENT_HTTP and attempt + 1 < self.retry.attempts:
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise OrgError(f"{self.env.name}: {what} failed: HTTP {err.status}: {_rest_message(err)}",
                               code=_rest_code(err)) from None
        raise OrgError(f"{self.env.name}: {what} failed after {self.retry.attempts} attempts")

    def _submit(self, what: str, fn: Callable[[], Any]) -> Any:
        """`fn()` (a deploy submit) without retrying anything the org may have accepted: an
        expired session logs in again and a connect timeout is retried (the request never
        reached the org); a 5xx, an HTML error page, a closed connection or "already
        deployed" raise SubmitUnknownError; any other fault is a refusal (OrgError)."""
        relogins = 0
        for attempt in range(self.retry.attempts):
            header = self._session
            self.calls += 1
            try:
                return _unwrap(fn())
            except Fault as fault:
                code = fault_code(fault)
                if code == REQUEST_LIMIT:
                    raise self._limit_error(what) from None
                if code in SESSION_CODES:
                    relogins = self._renew(header, what, relogins)
                    continue
                if code in TRANSIENT_FAULTS or not code or ALREADY_DEPLOYED in str(fault.message):
                    raise SubmitUnknownError(
                        f"{self.env.name}: {what}: the answer was lost "
                        f"({code or 'HTTP error page'}: {fault.message}); the org may have "
                        f"accepted it", code=code or None) from None
                raise OrgError(f"{self.env.name}: {what} failed: {code}: {fault.message}",
                               code=code) from None
            except TransportError as err:
                raise SubmitUnknownError(f"{self.env.name}: {what}: the answer was lost (HTTP "
                                         f"{err.status_code}); the org may have accepted it"
                                         ) from None
            except requests.ConnectTimeout:
                if attempt + 1 < self.retry.attempts:
                    self._sleep(self.retry.delay(attempt))
                    continue
                raise OrgError(f"{self.env.name}: {what} failed: ConnectTimeout") from None
            except (requests.ConnectionError, requests.Timeout) as err:
                raise SubmitUnknownError(f"{self.env.name}: {what}: the answer was lost "
                                         f"({type(err).__name__}); the org may have accepted "
                                         f"it") from None
        raise OrgError(f"{self.env.name}: {what} failed after {self.retry.attempts} attempts")

    def _renew(self, header: Session | None, what: str, relogins: int) -> int:
        """Log in again after an expired session (other threads may have expired the new one
        already: a few renewals per call, then a one-line error)."""
        if relogins >= MAX_RELOGINS:
            raise SessionExpiredError(f"{self.env.name}: {what} failed: the session expired "
                                      f"again after {MAX_RELOGINS} new logins",
                                      code="INVALID_SESSION_ID")
        self._relogin(header, what)
        return relogins + 1

    def _limit_error(self, what: str) -> RequestLimitError:
        return RequestLimitError(
            f"{self.env.name}: {what} failed: REQUEST_LIMIT_EXCEEDED: the org's API request "
            "limit is used up (a rolling 24-hour allowance; see DailyApiRequests in "
            "/services/data/vXX.X/limits); nothing was recorded, try again when it has reset",
            code=REQUEST_LIMIT)

    # --- REST -------------------------------------------------------------------------------
    def query(self, soql: str, *, tooling: bool = False) -> list[dict]:
        def run() -> list[dict]:
            if tooling:
                result = self.sf.toolingexecute("query/", params={"q": soql})
                records = list(result.get("records", []))
                while not result.get("done", True) and result.get("nextRecordsUrl"):
                    result = self.sf.query_more(result["nextRecordsUrl"], identifier_is_url=True)
                    records.extend(result.get("records", []))
                return records
            return list(self.sf.query_all(soql).get("records", []))

        records = self._call("query", run)
        for record in records:
            record.pop("attributes", None)
        return records

    def count(self, soql: str, *, tooling: bool = False) -> int:
        """The row count of a `SELECT COUNT() …` query (its totalSize; no rows come back)."""
        def run() -> int:
            if tooling:
                return int(self.sf.toolingexecute("query/", params={"q": soql})["totalSize"])
            return int(self.sf.query(soql)["totalSize"])

        return int(self._call("query", run))

    def audit_trail(self, since: str | None = None, limit: int = 2000) -> list[dict]:
        """SetupAuditTrail rows, newest first, flattened (`CreatedBy.Name` -> `CreatedByName`)."""
        where = f" WHERE CreatedDate >= {since}" if since else ""
        soql = ("SELECT Id, CreatedDate, CreatedBy.Name, Action, Section, Display, DelegateUser "
                f"FROM SetupAuditTrail{where} ORDER BY CreatedDate DESC LIMIT {limit}")
        rows = []
        for record in self.query(soql):
            created_by = record.pop("CreatedBy", None) or {}
            if isinstance(created_by, dict):
                created_by.pop("attributes", None)
                record["CreatedByName"] = created_by.get("Name")
            rows.append(record)
        return rows

    def limits(self) -> dict[str, Any]:
        """The org's `/limits` (name -> {Max, Remaining, …}): daily API requests, storage…"""
        return dict(self._call("limits", lambda: self.sf.restful("limits")) or {})

    # --- Metadata API -----------------------------------------------------------------------
    def describe(self) -> list[dict]:
        root = self._call("describeMetadata", lambda: self._soap(
            lambda sid: soap.describe_request(sid, self.api_version)))
        return soap.described_types(root)

    def list_metadata(self, queries: list[dict], fields: Collection[str] | None = None) -> list[dict]:
        """One listMetadata call (at most 3 queries, as Salesforce allows): FileProperties
        rows, with only `fields` when given. Values stay Salesforce's text (dates as
        `2026-10-02T14:31:07.000Z`). The answer (12 MB for the CustomField list of a large
        org) is read as it streams through lxml (`soap.post_for_rows`).
        """
        if len(queries) > 3:
            raise ValueError("listMetadata takes at most 3 queries")
        names = ", ".join(q["type"] + (f"/{q['folder']}" if q.get("folder") else "") for q in queries)
        return self._call(f"listMetadata({names})", lambda: soap.post_for_rows(
            self._http, self._endpoint,
            soap.list_request(self._session_id(), queries, self.api_version), self.timeout,
            "listMetadata", fields))

    def read_metadata(self, type_name: str, full_names: list[str]) -> list[dict]:
        result = self._call(f"readMetadata({type_name})", lambda: self._md.readMetadata(
            type_name, full_names, _soapheaders=[self._header]))
        return [_plain(serialize_object(r)) for r in (result or [])]

    def start_retrieve(self, members: dict[str, list[str]]) -> str:
        root = self._call("retrieve", lambda: self._soap(
            lambda sid: soap.retrieve_request(sid, members, self.api_version)))
        results = soap.results(root, "retrieve")
        process_id = results[0].findtext(f"{{{MD_NS}}}id") if results else None
        if not process_id:
            raise OrgError(f"{self.env.name}: the retrieve answer has no id")
        return process_id

    def check_retrieve(self, process_id: str, include_zip: bool) -> RetrieveStatus:
        """One checkRetrieveStatus. The answer (fileProperties of up to thousands of
        components plus the base64 zip) is read with lxml: zeep's object mapping of it was
        40% of a large pull's client CPU."""
        root = self._call("checkRetrieveStatus", lambda: self._soap(
            lambda sid: soap.check_retrieve_request(sid, process_id, include_zip)))
        result = root.find(f".//{{{MD_NS}}}checkRetrieveStatusResponse/{{{MD_NS}}}result")
        if result is None:
            raise OrgError(f"{self.env.name}: checkRetrieveStatus answer has no result")

        def text(name: str) -> str | None:
            return result.findtext(f"{{{MD_NS}}}{name}")

        zipped = text("zipFile")
        messages = [(m.findtext(f"{{{MD_NS}}}fileName") or "", m.findtext(f"{{{MD_NS}}}problem") or "")
                    for m in result.iterfind(f"{{{MD_NS}}}messages")]
        return RetrieveStatus(
            done=(text("done") or "").lower() == "true", status=text("status") or "",
            error_code=text("errorStatusCode"), error_message=text("errorMessage"),
            zip_bytes=base64.b64decode(zipped) if zipped else b"", messages=messages)

    def retrieve(self, members: dict[str, list[str]], *, poll: float = 0.5,
                 max_poll: float = 10.0, timeout: float = 3600.0) -> RetrieveResult:
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
               rollback_on_error: bool = True, poll: float = 0.5, max_poll: float = 10.0,
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
        options = {
            "allowMissingFiles": False, "autoUpdatePackage": False, "checkOnly": check_only,
            "ignoreWarnings": False, "performRetrieve": False, "purgeOnDelete": purge_on_delete,
            "rollbackOnError": rollback_on_error, "singlePackage": True,
            "testLevel": test_level or "NoTestRun",  # required by the WSDL
        }
        if run_tests:
            options["runTests"] = list(run_tests)

        def submit() -> Any:
            return self._md.deploy(zip_bytes, options, _soapheaders=[self._header])

        result = (self._call("deploy", submit) if check_only
                  else self._submit("deploy", submit))
        return str(result.id)

    def deploy_status(self, deploy_id: str, *, check_only: bool = False) -> DeployResult:
        """One checkDeployStatus of a deploy submitted earlier (to resume after an interruption)."""
        raw = self._call("checkDeployStatus", lambda: self._md.checkDeployStatus(
            deploy_id, True, _soapheaders=[self._header]))
        return _deploy_result(_plain(serialize_object(raw)), check_only)

    def quick_deploy(self, validation_id: str, *, poll: float = 0.5, max_poll: float = 10.0,
                     timeout: float = 7200.0) -> DeployResult:
        deploy_id = self.submit_quick_deploy(validation_id)
        return self._wait_deploy(deploy_id, False, poll, max_poll, timeout)

    def submit_quick_deploy(self, validation_id: str) -> str:
        """Start a quick deploy of a validation; the deploy id Salesforce accepted. A lost
        answer (or "already deployed") raises SubmitUnknownError, never a second submit."""
        return str(self._submit("deployRecentValidation", lambda: self._md.deployRecentValidation(
            validation_id, _soapheaders=[self._header])))

    def recent_deploys(self, since: str) -> list[dict[str, Any]]:
        """The org's real (not check-only) deploys created at or after `since` (UTC,
        `2026-12-06T13:00:00Z`), oldest first, from the Tooling API's DeployRequest: what a
        submit whose answer was lost may have started."""
        rows = self.query("SELECT Id, Status, CheckOnly, CreatedDate, CreatedBy.Username "
                          f"FROM DeployRequest WHERE CreatedDate >= {since} "
                          "ORDER BY CreatedDate", tooling=True)
        out = []
        for row in rows:
            if row.get("CheckOnly"):
                continue
            by = row.pop("CreatedBy", None) or {}
            row["CreatedByUsername"] = by.get("Username") if isinstance(by, dict) else None
            out.append(row)
        return out

    def wait_deploy(self, deploy_id: str, *, check_only: bool = False, poll: float = 0.5,
                    max_poll: float = 10.0, timeout: float = 7200.0) -> DeployResult:
        """Follow an accepted deploy (or validation) by id to its end."""
        return self._wait_deploy(deploy_id, check_only, poll, max_poll, timeout)

    def _wait_deploy(self, deploy_id: str, check_only: bool, poll: float, max_poll: float,
                     timeout: float) -> DeployResult:
        """Follow an accepted deploy to its end. When its status cannot be read (polls fail,
        the wait runs out), DeployUnknownError carries the id: the org may still apply it,
        so the caller must not submit the package again."""
        try:
            result = self._poll(f"deploy {deploy_id}", lambda: self._call(
                "checkDeployStatus", lambda: self._md.checkDeployStatus(
                    deploy_id, True, _soapheaders=[self._header])), poll, max_poll, timeout)
        except OrgError as err:
            raise DeployUnknownError(
                f"{self.env.name}: deploy {deploy_id} was accepted but its outcome is unknown "
                f"({err}); check it with its id before deploying again",
                deploy_id=deploy_id, code=err.code) from None
        return _deploy_result(_plain(serialize_object(result)), check_only)

    def _poll(self, what: str, check: Callable[[], Any], poll: float, max_poll: float,
              timeout: float) -> Any:
        """Ask `check()` until the async job says done, backing off from `poll` to `max_poll`
        seconds between asks (Salesforce's guidance for retrieve and deploy status)."""
        started = time.monotonic()
        delay = poll
        while True:
            result = check()
            if result.done:
                return result
            if time.monotonic() - started > timeout:
                raise OrgError(f"{self.env.name}: {what} not done after {timeout:.0f}s")
            self._sleep(delay)
            delay = min(max_poll, delay * 1.5)


def _unwrap(result: Any) -> Any:
    """zeep answers `{header, body: {result}}` for operations whose WSDL output declares a
    SOAP header (deploy, checkDeployStatus...); other operations come back unwrapped."""
    try:
        body = result["body"]
    except (KeyError, TypeError, IndexError, AttributeError):
        return result
    if body is None:
        return result
    try:
        return body["result"]
    except (KeyError, TypeError):
        return body


def _deploy_result(raw: dict, check_only: bool) -> DeployResult:
    details = raw.get("details") or {}
    tests = (details.get("runTestResult") or {}) if isinstance(details, dict) else {}
    return DeployResult(
        id=str(raw.get("id")),
        status=str(raw.get("status")),
        success=bool(raw.get("success")),
        check_only=bool(raw.get("checkOnly", check_only)),
        component_successes=list(details.get("componentSuccesses") or []),
        component_failures=list(details.get("componentFailures") or []),
        test_failures=list(tests.get("failures") or []) if isinstance(tests, dict) else [],
        error_message=raw.get("errorMessage"),
        error_code=raw.get("errorStatusCode"),
        number_components_total=int(raw.get("numberComponentsTotal") or 0),
        number_components_deployed=int(raw.get("numberComponentsDeployed") or 0),
        number_component_errors=int(raw.get("numberComponentErrors") or 0),
    )


def _plain(value: Any) -> Any:
    """zeep's OrderedDicts and datetimes -> plain JSON-friendly values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return sf_datetime(value)
    return value


def sf_datetime(value: datetime.datetime) -> str:
    """Salesforce's own form: `2026-10-02T14:31:07.000Z` (UTC, milliseconds)."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _rest_code(err: SalesforceError) -> str | None:
    content = err.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


def _rest_message(err: SalesforceError) -> str:
    content = err.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode')}: {content[0].get('message')}"
    return str(content)[:200]


def connect(env: EnvConfig, api_version: str, **kwargs: Any) -> OrgClient:
    """Log in to `env` and return a client (AuthError / OrgError, exit code 3)."""
    return OrgClient(env, api_version, **kwargs)
