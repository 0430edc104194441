"""The local org's Metadata API: every POST to /services/Soap/m/{version}[/...] lands here.

`handle(org, body, version) -> (status, bytes)` parses the SOAP request, checks the session,
dispatches on the operation and answers with the WSDL's response shapes (or a SOAP fault,
HTTP 500). Calls: describeMetadata, listMetadata, readMetadata, retrieve/checkRetrieveStatus,
deploy/checkDeployStatus/cancelDeploy, deployRecentValidation. The work lives in the md_*
modules; this one reads requests and writes responses.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
from collections.abc import Callable

from lxml import etree

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import default_registry
from sfenv.localorg import versions
from sfenv.localorg.mdapi import commit
from sfenv.localorg.mdapi import envelope as s
from sfenv.localorg.mdapi.crud import Crud, check_count, save_results
from sfenv.localorg.mdapi.deploy import (
    NO_TEST_RUN_IN_PRODUCTION,
    DeployOptions,
    DeployPlan,
    deploys_apex,
    plan_deploy,
)
from sfenv.localorg.mdapi.describe import (
    describe_metadata,
    file_properties,
    list_metadata,
    read_metadata,
)
from sfenv.localorg.mdapi.jobs import Job, jobs_of
from sfenv.localorg.mdapi.retrieve import RetrieveOutcome, run_retrieve
from sfenv.localorg.mdapi.validate import Failure
from sfenv.localorg.soap import (
    CONTENT_TYPE,
    FAULT_STATUS,
    Param,
    SoapFault,
    bind_arguments,
    envelope,
    fault_from,
    parse_envelope,
)
from sfenv.localorg.state.dates import sf_now
from sfenv.localorg.state.inventory import Inventory

log = logging.getLogger(__name__)
INVALID_SESSION = "Invalid Session ID found in SessionHeader: Illegal Session"
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")

__all__ = ["handle", "CONTENT_TYPE"]


def handle(org, body: bytes, version: str) -> tuple[int, bytes]:
    """Answer one Metadata API SOAP request: (HTTP status, response envelope bytes)."""
    try:
        op, session_id, request = _parse(body)
        user = org.session_user(session_id)
        if user is None:
            raise SoapFault("INVALID_SESSION_ID", INVALID_SESSION)
        if not versions.supported(version):
            raise SoapFault("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
        handler = OPERATIONS.get(op)
        if handler is None:  # not in the WSDL of a served version (checkStatus: gone in 31.0)
            raise SoapFault("soapenv:Client", f"No operation available for request "
                            f"{{{s.MD_NS}}}{op}, please check the WSDL for the service.")
        element = handler(Call(org, user, request, version, SIGNATURES[op]))
        return 200, envelope(etree.tostring(element, encoding="unicode"))
    except SoapFault as err:
        return FAULT_STATUS, fault_from(err)


def _parse(body: bytes) -> tuple[str, str | None, etree._Element]:
    """Parse the envelope; requests built by string formatting (simple-salesforce's retrieve
    helper does not escape member names) get their bare `&` escaped and a second chance."""
    try:
        return parse_envelope(body)
    except SoapFault:
        repaired = _BARE_AMP.sub(b"&amp;", body)
        if repaired == body:
            raise
        return parse_envelope(repaired)


class Call:
    """One request: the org, the calling user, the operation element, the API version."""

    def __init__(self, org, user, request: etree._Element, version: str,
                 params: tuple[Param, ...] = ()) -> None:
        self.org = org
        self.user = user
        self.request = request
        self.version = version
        self.registry = default_registry()
        self.args = bind_arguments(request, params)

    def arg(self, name: str) -> etree._Element | None:
        """The argument `name` (bound by position, see `soap.bind_arguments`), or None."""
        found = self.args.get(name) or []
        return found[0] if found else None

    def arg_text(self, name: str, default: str | None = None) -> str | None:
        node = self.arg(name)
        return default if node is None else (node.text or "").strip()

    def arg_texts(self, name: str) -> list[str]:
        return [(n.text or "").strip() for n in self.args.get(name) or []]

    def arg_bool(self, name: str, default: bool) -> bool:
        return s.parse_bool(self.arg_text(name), default)

    def inventory(self) -> Inventory:
        org = self.org
        try:
            state_mtime = org.state_path.stat().st_mtime_ns
        except OSError:
            state_mtime = 0
        return org.inventory_cache.get(org.metadata_dir, self.registry,
                                       generation=org.content_generation, state_mtime=state_mtime)


# --- describe, list, read -----------------------------------------------------------------


def op_describe(call: Call) -> etree._Element:
    return describe_metadata(call.registry, is_sandbox=call.org.is_sandbox)


def op_list(call: Call) -> etree._Element:
    queries = [
        (s.child_text(q, "type") or "", s.child_text(q, "folder") or None)
        for q in call.args["queries"]
    ]
    with call.org.lock:
        return list_metadata(call.org, call.inventory(), queries)


def op_read(call: Call) -> etree._Element:
    type_name = call.arg_text("type") or ""
    names = call.arg_texts("fullNames")
    with call.org.lock:
        return read_metadata(call.inventory(), type_name, names)


# --- retrieve -------------------------------------------------------------------------------


def async_result(op: str, job_id: str, state: str = "Queued", done: bool = False) -> etree._Element:
    result = s.result_el()
    s.add_fields(result, [("done", done), ("id", job_id), ("state", state)])
    return s.response(op, result)


def op_retrieve(call: Call) -> etree._Element:
    req = call.arg("retrieveRequest")
    if req is None:
        raise SoapFault("INVALID_CROSS_REFERENCE_KEY", "retrieveRequest is required")
    if s.children(req, "packageNames"):
        raise SoapFault("INVALID_CROSS_REFERENCE_KEY",
                        "No package named '{}' found".format(s.child_texts(req, "packageNames")[0]))
    types: dict[str, list[str]] = {}
    unpackaged = s.child(req, "unpackaged")
    if unpackaged is not None:
        for t in s.children(unpackaged, "types"):
            name = s.child_text(t, "name") or ""
            members = [m for m in (c.text or "" for c in s.children(t, "members")) if m]
            types.setdefault(name, []).extend(m for m in members if m not in types.get(name, []))
    params = {
        "types": types,
        "api_version": s.child_text(req, "apiVersion") or call.version,
        "single_package": s.child_bool(req, "singlePackage", False),
    }
    jobs = jobs_of(call.org)
    job = jobs.add(Job(jobs.new_id("09S"), "retrieve", params, call.user.id, call.user.name,
                       sf_now()))
    return async_result("retrieve", job.id)


def _advance(call: Call, job: Job, run: Callable[[Job], None]) -> None:
    """One poll: count it, and run the job on the poll that finishes it."""
    jobs = jobs_of(call.org)
    with call.org.lock:
        if job.completed_date is not None:
            return
        job.polls += 1
        if job.polls < jobs.polls_to_finish:
            job.status = "InProgress"
            job.start_date = job.start_date or sf_now()
            return
        job.start_date = job.start_date or sf_now()
        try:
            run(job)
        except Exception as err:  # a bug or an unreadable org file: fail the job, not the poll
            log.exception("metadata job %s failed", job.id)
            job.status = "Failed"
            job.result = (RetrieveOutcome(error_code="UNKNOWN_EXCEPTION", error_message=str(err))
                          if job.kind == "retrieve" else DeployPlan(error_message=str(err)))
        job.completed_date = sf_now()


def _run_retrieve(call: Call) -> Callable[[Job], None]:
    def run(job: Job) -> None:
        faults = getattr(call.org, "faults", None)
        poisoned = set(getattr(faults, "unknown_exception_members", ()) or ())
        outcome = run_retrieve(
            call.inventory(), job.request["types"], api_version=job.request["api_version"],
            single_package=job.request["single_package"], unknown_exception_members=poisoned,
            error_id=f"{secrets.randbelow(10**9)}-{secrets.randbelow(10**5)} "
                     f"({-secrets.randbelow(10**9)})",
        )
        if outcome.error_code == "UNKNOWN_EXCEPTION" and faults is not None:
            faults.count("unknown_exception")
        if outcome.success and faults is not None and getattr(faults, "truncate_zip", False):
            outcome.zip_bytes = outcome.zip_bytes[: max(1, len(outcome.zip_bytes) // 2)]
            faults.count("truncated_zip")
        job.result = outcome
        job.status = "Succeeded" if outcome.success else "Failed"
    return run


def _job(call: Call, job_id: str, kind: str) -> Job:
    """The org's async job `job_id` of `kind`, or Salesforce's INVALID_ID_FIELD fault."""
    job = jobs_of(call.org).get(job_id)
    if job is None and kind == "deploy":   # completed before the org restarted
        job = commit.job_from_history(call.org, job_id)
    if job is None or job.kind != kind:
        raise SoapFault("INVALID_ID_FIELD", f"Invalid {kind} request id: {job_id}")
    return job


def op_check_retrieve(call: Call) -> etree._Element:
    job_id = call.arg_text("asyncProcessId") or ""
    include_zip = call.arg_bool("includeZip", True)
    job = _job(call, job_id, "retrieve")
    _advance(call, job, _run_retrieve(call))
    result = s.result_el()
    outcome: RetrieveOutcome | None = job.result
    done = job.completed_date is not None
    s.add(result, "done", done)
    if outcome is not None and not outcome.success:
        s.add(result, "errorMessage", outcome.error_message)
        s.add(result, "errorStatusCode", outcome.error_code)
    if outcome is not None and outcome.success:
        prefix = "" if job.request["single_package"] else "unpackaged/"
        for cid, file_name in outcome.components:
            file_properties(call.org, result, cid, file_name, tag="fileProperties")
        file_properties(call.org, result, ComponentId("Package", "unpackaged"),
                        f"{prefix}package.xml", tag="fileProperties")
    s.add(result, "id", job.id)
    if outcome is not None:
        for file_name, problem in outcome.messages:
            message = s.add(result, "messages")
            s.add_fields(message, [("fileName", file_name), ("problem", problem)])
    s.add(result, "status", job.status)
    s.add(result, "success", bool(done and outcome is not None and outcome.success))
    zip_text = ""
    if done and include_zip and outcome is not None and outcome.success:
        zip_text = base64.b64encode(outcome.zip_bytes).decode("ascii")
    s.add(result, "zipFile", zip_text)
    return s.response("checkRetrieveStatus", result)


# --- deploy -------------------------------------------------------------------------------


def _deploy_options(node: etree._Element | None) -> DeployOptions:
    if node is None:
        return DeployOptions()
    level = (s.child_text(node, "testLevel") or "").strip() or None
    return DeployOptions(
        check_only=s.child_bool(node, "checkOnly"),
        test_level=level if level and level != "None" else None,
        run_tests=[t for t in s.child_texts(node, "runTests") if t],
        rollback_on_error=s.child_bool(node, "rollbackOnError", True),
        purge_on_delete=s.child_bool(node, "purgeOnDelete"),
        single_package=s.child_bool(node, "singlePackage"),
        allow_missing_files=s.child_bool(node, "allowMissingFiles"),
        ignore_warnings=s.child_bool(node, "ignoreWarnings"),
    )


def op_deploy(call: Call) -> etree._Element:
    zip_text = call.arg_text("ZipFile") or ""
    try:
        zip_bytes = base64.b64decode(zip_text, validate=False)
    except ValueError:
        raise SoapFault("INVALID_ZIP", "ZipFile is not valid base64") from None
    job = start_deploy(call, zip_bytes, _deploy_options(call.arg("DeployOptions")))
    return async_result("deploy", job.id)


def start_deploy(call: Call, zip_bytes: bytes, opts: DeployOptions) -> Job:
    """Queue a deploy (SOAP `deploy` and REST `deployRequest`); refuses NoTestRun of Apex in
    production synchronously, as Salesforce does."""
    if (not call.org.is_sandbox and opts.test_level == "NoTestRun"
            and deploys_apex(zip_bytes, opts.single_package)):
        raise SoapFault("INVALID_OPERATION", NO_TEST_RUN_IN_PRODUCTION)
    jobs = jobs_of(call.org)
    job = jobs.add(Job(jobs.new_id("0Af"), "deploy", (zip_bytes, opts), call.user.id,
                       call.user.name, sf_now()))
    return _accepted(call, job)


def _accepted(call: Call, job: Job) -> Job:
    """Persist that the org accepted `job` before answering (mdapi/commit.py)."""
    with call.org.lock:
        commit.note_accepted(call.org, job, job.request[1])
    call.org.faults.crash_point("received")
    return job


def _inject_failures(org, plan) -> None:
    """Fault injection: components named in `faults.deploy_failures` fail with that problem,
    as a real org rejects a component (the deploy then changes nothing)."""
    injected = org.faults.deploy_failures
    if not injected:
        return
    for success in list(plan.successes):
        problem = injected.get(str(success.component))
        if problem:
            plan.failures.append(Failure(success.component, success.file_name, problem))
            org.faults.count("deploy_failure")
    failed = {f.component for f in plan.failures}
    plan.successes = [x for x in plan.successes if x.component not in failed]


def _run_deploy(call: Call) -> Callable[[Job], None]:
    def run(job: Job) -> None:
        zip_bytes, opts = job.request
        org = call.org
        plan = plan_deploy(call.inventory(), zip_bytes, opts, is_sandbox=org.is_sandbox)
        _inject_failures(org, plan)
        org.faults.crash_point("validating")
        job.result = plan
        ok = plan.ok and not plan.blocked_by_warnings(opts.ignore_warnings)
        job.status = "Succeeded" if ok else "Failed"
        if ok and not opts.check_only:
            # whole or not at all, across a kill: journal, commit point, apply (commit.py)
            commit.commit(org, job, plan, opts, org.user_by_id(job.user_id) or org.admin)
        else:
            commit.finish_unapplied(org, job, plan, opts)
    return run


def op_check_deploy(call: Call) -> etree._Element:
    job_id = call.arg_text("asyncProcessId") or ""
    include_details = call.arg_bool("includeDetails", False)
    return s.response("checkDeployStatus", check_deploy(call, job_id, include_details))


def check_deploy(call: Call, job_id: str, include_details: bool) -> etree._Element:
    """One status poll of deploy `job_id`: its DeployResult (INVALID_ID_FIELD if unknown)."""
    job = _job(call, job_id, "deploy")
    if job.status != "Canceled":
        was_done = job.completed_date is not None
        _advance(call, job, _run_deploy(call))
        if not was_done and job.completed_date is not None:
            call.org.faults.crash_point("replying")
    return deploy_result(job, include_details)


def deploy_result(job: Job, include_details: bool) -> etree._Element:
    """A DeployResult in WSDL order."""
    _zip, opts = job.request
    plan: DeployPlan | None = job.result
    done = job.completed_date is not None
    successes = plan.successes if plan else []
    failures = plan.failures if plan else []
    errors = [f for f in failures if f.problem_type == "Error"]
    total = len({x.component for x in successes} | {f.component for f in failures})
    tests = plan.tests_run if plan else []
    ok = job.status == "Succeeded"
    result = s.result_el()
    s.add_fields(result, [
        ("canceledBy", job.canceled_by[0] if job.canceled_by else None),
        ("canceledByName", job.canceled_by[1] if job.canceled_by else None),
        ("checkOnly", opts.check_only),
        ("completedDate", job.completed_date),
        ("createdBy", job.user_id),
        ("createdByName", job.user_name),
        ("createdDate", job.created_date),
    ])
    details = s.add(result, "details")
    if include_details or job.status == "Failed":
        for f in failures:
            _message(details, "componentFailures", job, f.component, f.file_name, False,
                     problem=f.problem, problem_type=f.problem_type, line=f.line, column=f.column)
        if include_details:
            for x in successes:
                _message(details, "componentSuccesses", job, x.component, x.file_name, True,
                         created=x.created, changed=x.changed, deleted=x.deleted)
        if done:
            _run_test_result(details, tests)
    s.add(result, "done", done)
    if plan is not None and plan.error_message and done:
        s.add(result, "errorMessage", plan.error_message)
        s.add(result, "errorStatusCode", "INVALID_OPERATION"
              if plan.error_message.startswith("INVALID_OPERATION") else "UNKNOWN_EXCEPTION")
    s.add_fields(result, [
        ("id", job.id),
        ("ignoreWarnings", opts.ignore_warnings),
        ("lastModifiedDate", job.completed_date or job.start_date or job.created_date),
        ("numberComponentErrors", len({f.component for f in errors}) if done else 0),
        ("numberComponentsDeployed", len({x.component for x in successes}) if done and ok else 0),
        ("numberComponentsTotal", total if done else 0),
        ("numberTestErrors", 0),
        ("numberTestsCompleted", len(tests) if done and ok else 0),
        ("numberTestsTotal", len(tests) if done else 0),
        ("rollbackOnError", opts.rollback_on_error),
        ("runTestsEnabled", bool(tests)),
        ("startDate", job.start_date),
        ("stateDetail", None if done else "Processing Type: Apex Class"),
        ("status", job.status),
        ("success", ok),
    ])
    return result


def _message(parent, tag, job: Job, cid: ComponentId, file_name: str, success: bool, *,
             problem=None, problem_type=None, line=None, column=None,
             created=False, changed=False, deleted=False) -> None:
    node = s.add(parent, tag)
    s.add_fields(node, [
        ("changed", changed),
        ("columnNumber", column),
        ("componentType", cid.type if cid.type != "Package" else ""),
        ("created", created),
        ("createdDate", job.completed_date or job.created_date),
        ("deleted", deleted),
        ("fileName", file_name),
        ("fullName", cid.full_name),
        ("lineNumber", line),
        ("problem", problem),
        ("problemType", problem_type),
        ("success", success),
    ])


def _run_test_result(details, tests: list[str]) -> None:
    node = s.add(details, "runTestResult")
    s.add(node, "numFailures", 0)
    s.add(node, "numTestsRun", len(tests))
    for test in tests:   # one result per test method, as Salesforce reports them
        name, _, method = test.partition(".")
        ok = s.add(node, "successes")
        s.add_fields(ok, [("id", ""), ("methodName", method), ("name", name),
                          ("namespace", ""), ("time", 1.0)])
    s.add(node, "totalTime", float(len(tests)))


def op_cancel_deploy(call: Call) -> etree._Element:
    job = cancel_deploy(call, call.arg_text("String") or "")
    result = s.result_el()
    s.add_fields(result, [("done", True), ("id", job.id)])
    return s.response("cancelDeploy", result)


def cancel_deploy(call: Call, job_id: str) -> Job:
    """Cancel deploy `job_id` unless it has completed already."""
    job = _job(call, job_id, "deploy")
    with call.org.lock:
        if job.completed_date is None:
            job.status = "Canceled"
            job.completed_date = sf_now()
            job.canceled_by = (call.user.id, call.user.name)
            job.result = DeployPlan()
            commit.finish_unapplied(call.org, job, job.result, job.request[1])
    return job


def op_deploy_recent_validation(call: Call) -> etree._Element:
    job = quick_deploy(call, call.arg_text("validationId") or "")
    result = etree.Element(s.q("result"))
    result.text = job.id
    return s.response("deployRecentValidation", result)


def quick_deploy(call: Call, validation_id: str) -> Job:
    """Queue the quick deploy of a successful validation (INVALID_ID_FIELD when it can't be)."""
    jobs = jobs_of(call.org)
    validation = jobs.get(validation_id)
    if validation is None or validation.kind != "deploy":
        raise SoapFault("INVALID_ID_FIELD", f"invalid validation id: {validation_id}")
    _zip, opts = validation.request
    with call.org.lock:
        if not opts.check_only or validation.status != "Succeeded":
            raise SoapFault("INVALID_ID_FIELD", "This deployment can't be quick deployed: "
                            "it is not a successful validation (checkOnly) deployment.")
        if not _zip:   # read back from the history after a restart: its package is gone
            raise SoapFault("INVALID_ID_FIELD", "This deployment can't be quick deployed: "
                            "the local org restarted since the validation.")
        if validation.quick_deployed:
            raise SoapFault("INVALID_ID_FIELD", "This validation has already been deployed.")
        if not validation.result.tests_run and not call.org.is_sandbox:
            raise SoapFault("INVALID_ID_FIELD", "This deployment can't be quick deployed: "
                            "the validation didn't run Apex tests.")
        if _deployed_since(jobs.history(), validation):
            raise SoapFault("INVALID_ID_FIELD", "This deployment can't be quick deployed: "
                            "a deployment has completed since the validation.")
        validation.quick_deployed = True
    deploy_opts = DeployOptions(**{**vars(opts), "check_only": False})
    return _accepted(call, jobs.add(Job(jobs.new_id("0Af"), "deploy", (_zip, deploy_opts),
                                        call.user.id, call.user.name, sf_now(),
                                        validation_of=validation.id)))


def _deployed_since(history: list[dict], validation: Job) -> bool:
    return any(
        not row["check_only"] and row["status"] == "Succeeded"
        and (row.get("completed_date") or "") > (validation.completed_date or "")
        for row in history
    )


# --- CRUD (crud.py) ----------------------------------------------------------------------


def _crud(call: Call) -> Crud:
    return Crud(call.org, call.user, call.registry, call.inventory)


def _save(operation: str, mode: str) -> Callable[[Call], etree._Element]:
    def op(call: Call) -> etree._Element:
        nodes = call.args.get("metadata") or []
        check_count(nodes, operation)
        return save_results(operation, _crud(call).save(nodes, mode), upsert=mode == "upsert")
    return op


def op_delete_metadata(call: Call) -> etree._Element:
    names = [n for n in call.arg_texts("fullNames") if n]
    check_count(names, "deleteMetadata")
    outcomes = _crud(call).delete(call.arg_text("type") or "", names)
    return save_results("deleteMetadata", outcomes)


def op_rename_metadata(call: Call) -> etree._Element:
    outcome = _crud(call).rename(call.arg_text("type") or "", call.arg_text("oldFullName") or "",
                                 call.arg_text("newFullName") or "")
    return save_results("renameMetadata", [outcome])


OPERATIONS: dict[str, Callable[[Call], etree._Element]] = {
    "createMetadata": _save("createMetadata", "create"),
    "updateMetadata": _save("updateMetadata", "update"),
    "upsertMetadata": _save("upsertMetadata", "upsert"),
    "deleteMetadata": op_delete_metadata,
    "renameMetadata": op_rename_metadata,
    "describeMetadata": op_describe,
    "listMetadata": op_list,
    "readMetadata": op_read,
    "retrieve": op_retrieve,
    "checkRetrieveStatus": op_check_retrieve,
    "deploy": op_deploy,
    "checkDeployStatus": op_check_deploy,
    "cancelDeploy": op_cancel_deploy,
    "deployRecentValidation": op_deploy_recent_validation,
}

# Each operation's WSDL arguments in order: (name, repeated). Bound by position.
SIGNATURES: dict[str, tuple[Param, ...]] = {
    "describeMetadata": (("asOfVersion", False),),
    "listMetadata": (("queries", True), ("asOfVersion", False)),
    "readMetadata": (("type", False), ("fullNames", True)),
    "retrieve": (("retrieveRequest", False),),
    "checkRetrieveStatus": (("asyncProcessId", False), ("includeZip", False)),
    "deploy": (("ZipFile", False), ("DeployOptions", False)),
    "checkDeployStatus": (("asyncProcessId", False), ("includeDetails", False)),
    "cancelDeploy": (("String", False),),
    "deployRecentValidation": (("validationId", False),),
    "createMetadata": (("metadata", True),),
    "updateMetadata": (("metadata", True),),
    "upsertMetadata": (("metadata", True),),
    "deleteMetadata": (("type", False), ("fullNames", True)),
    "renameMetadata": (("type", False), ("oldFullName", False), ("newFullName", False)),
}
