"""Metadata API calls a pull makes, as SOAP envelopes built and read with lxml.

A pull needs four operations (describeMetadata, listMetadata, retrieve, checkRetrieveStatus).
Building them through zeep means parsing the Metadata WSDL first (about a second of CPU, paid
by every `sfenv pull` process); their requests are small and fixed in shape, so they are
written here in the WSDL's element order, and the answers are read with the hardened parser.
Faults are raised as zeep's `Fault` / `TransportError`, so the client's retries treat both
paths alike. Deploys and readMetadata keep the zeep client (`sfenv.org.client`).
"""

from __future__ import annotations

from collections.abc import Mapping

import requests
from lxml import etree
from zeep.exceptions import Fault, TransportError

from sfenv.metadata.xmlio import hardened_parser, local_name

MD_NS = "http://soap.sforce.com/2006/04/metadata"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_LIST_FIELDS = {"childXmlNames"}  # describeMetadata fields that repeat
_BOOL_FIELDS = {"inFolder", "metaFile"}


def _q(tag: str) -> str:
    return f"{{{MD_NS}}}{tag}"


def _add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, _q(tag))
    node.text = text
    return node


def envelope(session_id: str, operation: str) -> tuple[etree._Element, etree._Element]:
    """(the envelope, the operation element to fill)."""
    root = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, None: MD_NS})
    header = etree.SubElement(etree.SubElement(root, f"{{{SOAP_NS}}}Header"), _q("SessionHeader"))
    _add(header, "sessionId", session_id)
    body = etree.SubElement(root, f"{{{SOAP_NS}}}Body")
    return root, etree.SubElement(body, _q(operation))


def describe_request(session_id: str, api_version: str) -> etree._Element:
    root, op = envelope(session_id, "describeMetadata")
    _add(op, "asOfVersion", api_version)
    return root


def list_request(session_id: str, queries: list[dict], api_version: str) -> etree._Element:
    root, op = envelope(session_id, "listMetadata")
    for query in queries:
        node = etree.SubElement(op, _q("queries"))
        if query.get("folder"):
            _add(node, "folder", str(query["folder"]))
        _add(node, "type", str(query["type"]))
    _add(op, "asOfVersion", api_version)
    return root


def retrieve_request(session_id: str, members: Mapping[str, list[str]],
                     api_version: str) -> etree._Element:
    root, op = envelope(session_id, "retrieve")
    request = etree.SubElement(op, _q("retrieveRequest"))
    _add(request, "apiVersion", api_version)
    _add(request, "singlePackage", "true")
    package = etree.SubElement(request, _q("unpackaged"))
    for type_name, names in sorted(members.items()):
        types = etree.SubElement(package, _q("types"))
        for name in sorted(names):
            _add(types, "members", name)
        _add(types, "name", type_name)
    _add(package, "version", api_version)
    return root


def check_retrieve_request(session_id: str, process_id: str, include_zip: bool) -> etree._Element:
    root, op = envelope(session_id, "checkRetrieveStatus")
    _add(op, "asyncProcessId", process_id)
    _add(op, "includeZip", "true" if include_zip else "false")
    return root


def post(http: requests.Session, url: str, request: etree._Element,
         timeout: float) -> etree._Element:
    """POST one envelope; the parsed answer, or zeep's Fault / TransportError."""
    data = etree.tostring(request, xml_declaration=True, encoding="UTF-8")
    response = http.post(url, data=data, timeout=timeout,
                         headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
    try:
        root = etree.fromstring(response.content, hardened_parser(huge_tree=True))
    except etree.XMLSyntaxError:
        raise TransportError(status_code=response.status_code, content=response.content) from None
    fault = root.find(f".//{{{SOAP_NS}}}Fault")
    if fault is not None:
        raise Fault(message=fault.findtext("faultstring") or "", code=fault.findtext("faultcode"))
    if response.status_code != 200:
        raise TransportError(status_code=response.status_code, content=response.content)
    return root


def results(root: etree._Element, operation: str) -> list[etree._Element]:
    return list(root.iterfind(f".//{_q(operation + 'Response')}/{_q('result')}"))


def flat_rows(root: etree._Element, operation: str) -> list[dict]:
    """listMetadata's FileProperties: {field: text}, Salesforce's text kept as is."""
    return [{local_name(child): child.text or "" for child in result}
            for result in results(root, operation)]


def described_types(root: etree._Element) -> list[dict]:
    """describeMetadata's metadataObjects, shaped as zeep gave them (lists and booleans)."""
    out = []
    for result in results(root, "describeMetadata"):
        for item in result.iterfind(_q("metadataObjects")):
            row: dict = {name: [] for name in _LIST_FIELDS}
            for child in item:
                name, text = local_name(child), child.text or ""
                if name in _LIST_FIELDS:
                    row[name].append(text)
                elif name in _BOOL_FIELDS:
                    row[name] = text.strip().lower() == "true"
                else:
                    row[name] = text
            out.append(row)
    return out
