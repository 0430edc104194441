"""Metadata API calls a pull makes, as SOAP envelopes built and read with lxml.

A pull needs four operations (describeMetadata, listMetadata, retrieve, checkRetrieveStatus).
Building them through zeep means parsing the Metadata WSDL first (about a second of CPU, paid
by every `sfenv pull` process); their requests are small and fixed in shape, so they are
written here in the WSDL's element order, and the answers are read with the hardened parser.
Faults are raised as zeep's `Fault` / `TransportError`, so the client's retries treat both
paths alike. Deploys and readMetadata keep the zeep client (`sfenv.io.org.client`).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Collection, Mapping

import requests
from lxml import etree
from zeep.exceptions import Fault, TransportError

from sfenv.core.metadata.xmlio import hardened_parser, local_name

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


def _send(http: requests.Session, url: str, request: etree._Element,
          timeout: float) -> requests.Response:
    data = etree.tostring(request, xml_declaration=True, encoding="UTF-8")
    return http.post(url, data=data, timeout=timeout,
                     headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})


def post(http: requests.Session, url: str, request: etree._Element,
         timeout: float) -> etree._Element:
    """POST one envelope; the parsed answer, or zeep's Fault / TransportError."""
    response = _send(http, url, request, timeout)
    root = _answer(response)
    if response.status_code != 200:
        raise TransportError(status_code=response.status_code, content=response.content)
    return root


def post_for_rows(http: requests.Session, url: str, request: etree._Element, timeout: float,
                  operation: str, keep: Collection[str] | None = None) -> list[dict]:
    """POST one envelope whose answer is a list of flat `<result>`s (listMetadata), read as
    it streams through the parser: each result is freed once read, and only the fields in
    `keep` are kept (values interned: many rows share them). A 60k-component org lists
    ~110k fields in one 12 MB answer; a whole tree of it held ~10 times that."""
    response = _send(http, url, request, timeout)
    if response.status_code != 200:  # a fault or an error page: small, parsed whole
        _answer(response)
        raise TransportError(status_code=response.status_code, content=response.content)
    rows: list[dict] = []
    result_tag, fault_tag = _q("result"), f"{{{SOAP_NS}}}Fault"
    context = etree.iterparse(io.BytesIO(response.content), events=("end",),
                              tag=(result_tag, fault_tag), resolve_entities=False,
                              no_network=True, load_dtd=False, huge_tree=True)
    try:
        for _, elem in context:
            if elem.tag == fault_tag:
                raise Fault(message=elem.findtext("faultstring") or "",
                            code=elem.findtext("faultcode"))
            parent = elem.getparent()
            if parent is None or parent.tag != _q(f"{operation}Response"):
                continue
            rows.append({name: sys.intern(child.text or "") for child in elem
                         if (name := local_name(child)) and (keep is None or name in keep)})
            elem.clear()
            while elem.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError:
        raise TransportError(status_code=response.status_code, content=response.content) from None
    return rows


def _answer(response: requests.Response) -> etree._Element:
    """The parsed answer; the Fault it carries raised, TransportError when it is no XML."""
    try:
        root = etree.fromstring(response.content, hardened_parser(huge_tree=True))
    except etree.XMLSyntaxError:
        raise TransportError(status_code=response.status_code, content=response.content) from None
    fault = root.find(f".//{{{SOAP_NS}}}Fault")
    if fault is not None:
        raise Fault(message=fault.findtext("faultstring") or "", code=fault.findtext("faultcode"))
    return root


def results(root: etree._Element, operation: str) -> list[etree._Element]:
    return list(root.iterfind(f".//{_q(operation + 'Response')}/{_q('result')}"))


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
