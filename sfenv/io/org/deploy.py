"""deploy + checkDeployStatus + deployRecentValidation (quick deploy) + cancelDeploy.

The requests follow the WSDL's element order (`DeployOptions` is a sequence: `runTests` sits
between `rollbackOnError` and `singlePackage`). The status answer reads into plain values
with the WSDL's types (`Shape`): booleans, ints, lists for the fields that repeat, so a
component failure's `lineNumber` is an int and `componentFailures` is a list even with one
failure."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from sfenv.io.org.soap import AnswerError, Shape, add, envelope, flag, one_result, q, text

ALREADY_DEPLOYED = "already been deployed"

# DeployResult, DeployDetails, DeployMessage, RunTestsResult and their parts in the WSDL
SHAPE = Shape(
    lists=frozenset({"componentFailures", "componentSuccesses", "failures", "successes",
                     "codeCoverage", "codeCoverageWarnings", "flowCoverage",
                     "flowCoverageWarnings", "locationsNotCovered", "dmlInfo", "methodInfo",
                     "soqlInfo", "soslInfo", "messages", "fileProperties"}),
    bools=frozenset({"checkOnly", "done", "ignoreWarnings", "rollbackOnError",
                     "runTestsEnabled", "success", "changed", "created", "deleted",
                     "seeAllData", "isTest"}),
    ints=frozenset({"numberComponentErrors", "numberComponentsDeployed",
                    "numberComponentsTotal", "numberTestErrors", "numberTestsCompleted",
                    "numberTestsTotal", "columnNumber", "lineNumber", "numFailures",
                    "numTestsRun", "numLocations", "numLocationsNotCovered", "column",
                    "line", "numExecutions"}),
    floats=frozenset({"totalTime", "time"}),
)


@dataclass
class DeployResult:
    id: str
    status: str
    success: bool
    check_only: bool
    component_successes: list[dict[str, Any]] = field(default_factory=list)
    component_failures: list[dict[str, Any]] = field(default_factory=list)
    test_failures: list[dict[str, Any]] = field(default_factory=list)
    error_message: str | None = None
    error_code: str | None = None
    number_components_total: int = 0
    number_components_deployed: int = 0
    number_component_errors: int = 0


def options(*, check_only: bool, test_level: str, run_tests: tuple[str, ...],
            purge_on_delete: bool, rollback_on_error: bool) -> list[tuple[str, str]]:
    """DeployOptions in the WSDL's order, as (element, text) pairs."""
    return ([("allowMissingFiles", "false"), ("autoUpdatePackage", "false"),
             ("checkOnly", flag(check_only)), ("ignoreWarnings", "false"),
             ("performRetrieve", "false"), ("purgeOnDelete", flag(purge_on_delete)),
             ("rollbackOnError", flag(rollback_on_error))]
            + [("runTests", name) for name in run_tests]
            + [("singlePackage", "true"), ("testLevel", test_level or "NoTestRun")])


def request(session_id: str, zip_bytes: bytes, deploy_options: list[tuple[str, str]]
            ) -> etree._Element:
    root, op = envelope(session_id, "deploy")
    add(op, "ZipFile", base64.b64encode(zip_bytes).decode("ascii"))
    node = etree.SubElement(op, q("DeployOptions"))
    for name, value in deploy_options:
        add(node, name, value)
    return root


def read_id(root: etree._Element, operation: str = "deploy") -> str:
    """The id a deploy (an AsyncResult's `id`) or a quick deploy (the result's text) got."""
    result = one_result(root, operation, operation)
    found = text(result, "id") if len(result) else result.text
    if not found or not found.strip():
        raise AnswerError(f"the {operation} answer has no id")
    return found.strip()


def check_request(session_id: str, deploy_id: str, include_details: bool = True
                  ) -> etree._Element:
    root, op = envelope(session_id, "checkDeployStatus")
    add(op, "asyncProcessId", deploy_id)
    add(op, "includeDetails", flag(include_details))
    return root


def quick_request(session_id: str, validation_id: str) -> etree._Element:
    root, op = envelope(session_id, "deployRecentValidation")
    add(op, "validationId", validation_id)
    return root


def cancel_request(session_id: str, deploy_id: str) -> etree._Element:
    root, op = envelope(session_id, "cancelDeploy")
    add(op, "String", deploy_id)
    return root


def read_cancel(root: etree._Element) -> bool:
    """Whether the cancel is done already (else the deploy is being canceled)."""
    return (text(one_result(root, "cancelDeploy", "cancelDeploy"), "done") or "") == "true"


def read_status(root: etree._Element) -> dict[str, Any]:
    """The DeployResult as plain values (see SHAPE)."""
    return SHAPE.record(one_result(root, "checkDeployStatus", "checkDeployStatus"))


def result(raw: dict[str, Any], check_only: bool) -> DeployResult:
    details = raw.get("details") or {}
    if not isinstance(details, dict):
        details = {}
    tests = details.get("runTestResult") or {}
    if not isinstance(tests, dict):
        tests = {}
    return DeployResult(
        id=str(raw.get("id")),
        status=str(raw.get("status")),
        success=bool(raw.get("success")),
        check_only=bool(raw.get("checkOnly", check_only)),
        component_successes=list(details.get("componentSuccesses") or []),
        component_failures=list(details.get("componentFailures") or []),
        test_failures=list(tests.get("failures") or []),
        error_message=raw.get("errorMessage"),
        error_code=raw.get("errorStatusCode"),
        number_components_total=int(raw.get("numberComponentsTotal") or 0),
        number_components_deployed=int(raw.get("numberComponentsDeployed") or 0),
        number_component_errors=int(raw.get("numberComponentErrors") or 0),
    )
