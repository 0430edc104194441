"""retrieve + checkRetrieveStatus: an asynchronous retrieve of named members, then its zip.

The status answer (fileProperties of thousands of components plus the base64 zip) is read
straight from the tree: only the fields a pull uses."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from sfenv.io.org.soap import (
    AnswerError,
    add,
    envelope,
    flag,
    members_package,
    one_result,
    q,
    text,
)


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


def request(session_id: str, members: Mapping[str, list[str]],
            api_version: str) -> etree._Element:
    root, op = envelope(session_id, "retrieve")
    retrieve = etree.SubElement(op, q("retrieveRequest"))
    add(retrieve, "apiVersion", api_version)
    add(retrieve, "singlePackage", "true")
    members_package(etree.SubElement(retrieve, q("unpackaged")), members, api_version)
    return root


def read_id(root: etree._Element) -> str:
    """The retrieve's async process id."""
    process_id = text(one_result(root, "retrieve", "retrieve"), "id")
    if not process_id:
        raise AnswerError("the retrieve answer has no id")
    return process_id


def check_request(session_id: str, process_id: str, include_zip: bool) -> etree._Element:
    root, op = envelope(session_id, "checkRetrieveStatus")
    add(op, "asyncProcessId", process_id)
    add(op, "includeZip", flag(include_zip))
    return root


def read_status(root: etree._Element) -> RetrieveStatus:
    result = one_result(root, "checkRetrieveStatus", "checkRetrieveStatus")
    zipped = text(result, "zipFile")
    try:
        data = base64.b64decode(zipped) if zipped else b""
    except (binascii.Error, ValueError):
        raise AnswerError("the checkRetrieveStatus answer's zipFile is not base64") from None
    messages = [(m.findtext(q("fileName")) or "", m.findtext(q("problem")) or "")
                for m in result.iterfind(q("messages"))]
    return RetrieveStatus(
        done=(text(result, "done") or "").lower() == "true", status=text(result, "status") or "",
        error_code=text(result, "errorStatusCode"), error_message=text(result, "errorMessage"),
        zip_bytes=data, messages=messages)
