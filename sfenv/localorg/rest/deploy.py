"""Deploys over REST: `/services/data/vNN.0/metadata/deployRequest[/<id>]`, as Salesforce
answers them (the `sf` CLI uses them with `SF_ORG_METADATA_REST_DEPLOY=true`).

- `POST deployRequest`, multipart/form-data: a `file` part (the zip) and an `entity_content`
  (or `json`) part `{"deployOptions": {...}}` -> 201 `{"id", "deployOptions", "deployResult",
  "url", "validatedDeployRequestId": null}`.
- `POST deployRequest` with a JSON body `{"validatedDeployRequestId": "0Af..."}`: quick deploy
  of a successful validation -> 201, same shape.
- `GET deployRequest/<id>[?includeDetails=true]` -> 200, `deployResult` holding the same
  DeployResult as SOAP's checkDeployStatus, in JSON types (booleans, numbers, arrays).
- `PATCH deployRequest/<id>` `{"deployResult": {"status": "Canceling"}}` -> 202.

The jobs are the Metadata API's (sfenv.localorg.mdapi.api): a deploy started over REST can
be polled over SOAP and the other way round.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

from lxml import etree

from sfenv.localorg.mdapi import envelope as s
from sfenv.localorg.mdapi.api import (
    Call,
    cancel_deploy,
    check_deploy,
    deploy_result,
    jobs_of,
    quick_deploy,
    start_deploy,
)
from sfenv.localorg.mdapi.deploy import DeployOptions
from sfenv.localorg.replies import JSON, Reply, rest_error
from sfenv.localorg.soap import SoapFault

# DeployResult elements that are arrays, and those that are numbers (everything else is a
# string, or a boolean when it reads `true`/`false`)
_ARRAYS = {"componentSuccesses", "componentFailures", "successes", "failures",
           "codeCoverage", "codeCoverageWarnings", "flowCoverage", "flowCoverageWarnings",
           "locationsNotCovered", "messages"}
_NUMBERS = {"numberComponentErrors", "numberComponentsDeployed", "numberComponentsTotal",
            "numberTestErrors", "numberTestsCompleted", "numberTestsTotal", "numFailures",
            "numTestsRun", "totalTime", "time", "lineNumber", "columnNumber", "numLocations",
            "numLocationsNotCovered"}
_BOOL_OPTIONS = ("allowMissingFiles", "autoUpdatePackage", "checkOnly", "ignoreWarnings",
                 "performRetrieve", "purgeOnDelete", "rollbackOnError", "singlePackage")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_PART_NAME = re.compile(rb'name="([^"]*)"', re.I)


class RestError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def handle(org, user, method: str, version: str, rest: list[str], query: str, body: bytes,
           content_type: str) -> Reply:
    """`rest` is the path after `/services/data/vNN.0/metadata/deployRequest`."""
    call = Call(org, user, etree.Element("rest"), version)
    try:
        if not rest and method == "POST":
            return _start(call, version, body, content_type)
        if len(rest) == 1 and method == "GET":
            details = parse_qs(query).get("includeDetails", ["false"])[0].lower() == "true"
            return _status(call, version, rest[0], details, 200)
        if len(rest) == 1 and method == "PATCH":
            return _cancel(call, version, rest[0], body)
    except RestError as err:
        return rest_error(err.status, err.code, err.message)
    except SoapFault as err:
        status = 404 if err.code == "INVALID_ID_FIELD" else 400
        return rest_error(status, err.code, err.message)
    if len(rest) > 1:
        return rest_error(404, "NOT_FOUND", "The requested resource does not exist")
    allowed = "POST" if not rest else "GET, PATCH"
    return rest_error(405, "METHOD_NOT_ALLOWED",
                  f"HTTP Method '{method}' not allowed. Allowed are {allowed}")


def _start(call, version: str, body: bytes, content_type: str) -> Reply:
    if content_type.lower().startswith("application/json"):
        payload = _json(body)
        validation = payload.get("validatedDeployRequestId") if isinstance(payload, dict) else None
        if not validation:
            raise RestError(400, "INVALID_INPUT", "validatedDeployRequestId is required "
                            "for a deploy request without a zip file")
        job = quick_deploy(call, str(validation))
        return _status(call, version, job.id, False, 201, validated=str(validation))
    parts = _multipart(body, content_type)
    zip_bytes = parts.get("file")
    if zip_bytes is None:
        raise RestError(400, "INVALID_INPUT", "the multipart request holds no 'file' part")
    options_part = parts.get("entity_content", parts.get("json", b"{}"))
    payload = _json(options_part)
    options = payload.get("deployOptions", {}) if isinstance(payload, dict) else {}
    job = start_deploy(call, zip_bytes, deploy_options(options if isinstance(options, dict)
                                                       else {}))
    return _status(call, version, job.id, False, 201)


def _status(call, version: str, job_id: str, include_details: bool, status: int,
            validated: str | None = None) -> Reply:
    if status == 201:   # just queued: report it without counting a poll
        job = jobs_of(call.org).get(job_id)
        result = deploy_result(job, False)
    else:
        result = check_deploy(call, job_id, include_details)
        job = jobs_of(call.org).get(job_id)
    _zip, opts = job.request
    body = {
        "id": job.id,
        "validatedDeployRequestId": validated or job.validation_of,
        "url": f"/services/data/{version}/metadata/deployRequest/{job.id}",
        "deployOptions": options_json(opts),
        "deployResult": result_json(result),
    }
    return status, JSON, json.dumps(body).encode()


def _cancel(call, version: str, job_id: str, body: bytes) -> Reply:
    payload = _json(body) if body else {}
    wanted = (payload.get("deployResult") or {}).get("status") if isinstance(payload, dict) else None
    if wanted not in ("Canceling", "Canceled"):
        raise RestError(400, "INVALID_INPUT", "only deployResult.status 'Canceling' can be set")
    job = cancel_deploy(call, job_id)
    result = result_json(deploy_result(job, False))
    body_out = {"id": job.id, "validatedDeployRequestId": job.validation_of,
                "url": f"/services/data/{version}/metadata/deployRequest/{job.id}",
                "deployOptions": options_json(job.request[1]), "deployResult": result}
    return 202, JSON, json.dumps(body_out).encode()


# --- conversions ----------------------------------------------------------------------------


def deploy_options(options: dict) -> DeployOptions:
    """REST `deployOptions` JSON -> DeployOptions (the same names as the SOAP DeployOptions)."""
    def flag(name: str, default: bool) -> bool:
        value = options.get(name, default)
        return s.parse_bool(value, default) if isinstance(value, str) else bool(value)

    level = options.get("testLevel") or None
    tests = options.get("runTests") or []
    return DeployOptions(
        check_only=flag("checkOnly", False),
        test_level=level if level and level != "None" else None,
        run_tests=[str(t) for t in (tests if isinstance(tests, list) else [tests]) if t],
        rollback_on_error=flag("rollbackOnError", True),
        purge_on_delete=flag("purgeOnDelete", False),
        single_package=flag("singlePackage", False),
        allow_missing_files=flag("allowMissingFiles", False),
        ignore_warnings=flag("ignoreWarnings", False),
    )


def options_json(opts: DeployOptions) -> dict:
    return {
        "allowMissingFiles": opts.allow_missing_files, "autoUpdatePackage": False,
        "checkOnly": opts.check_only, "ignoreWarnings": opts.ignore_warnings,
        "performRetrieve": False, "purgeOnDelete": opts.purge_on_delete,
        "rollbackOnError": opts.rollback_on_error, "runTests": list(opts.run_tests),
        "singlePackage": opts.single_package, "testLevel": opts.test_level or "NoTestRun",
    }


def result_json(node: etree._Element) -> dict:
    """A DeployResult element as Salesforce's REST JSON."""
    out: dict = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        name = s.local(child)
        value = result_json(child) if len(child) else _scalar(name, child.text)
        if name in _ARRAYS:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


def _scalar(name: str, text: str | None) -> str | bool | int | float | None:
    if text is None:
        return None
    if name in _NUMBERS:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and name != "totalTime" else number
    if text in ("true", "false"):
        return text == "true"
    return text


def _json(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RestError(400, "JSON_PARSER_ERROR", f"could not parse JSON: {err}") from None


def _multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """The parts of a multipart/form-data body, by their form field name."""
    m = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/") or m is None:
        raise RestError(415, "UNSUPPORTED_MEDIA_TYPE",
                        "a deploy request is multipart/form-data (file + entity_content)")
    delimiter = b"--" + m.group(1).encode("latin-1")
    parts: dict[str, bytes] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        name = _PART_NAME.search(head)
        if name is not None:
            parts[name.group(1).decode("latin-1")] = content
    return parts


