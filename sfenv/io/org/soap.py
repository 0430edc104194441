"""The one SOAP stack of the Metadata API: envelopes built and answers read with lxml.

Every Metadata API call (`describe`, `listing`, `retrieve`, `deploy`, `read`) writes its request
here in the WSDL's element order and reads its answer with the hardened parser. There is no
WSDL to parse (zeep spent about a second of CPU on it per process, and mapped a large
checkRetrieveStatus answer to objects at 40% of a pull's client CPU).

What comes back that is not an answer is raised as one of two errors, which the retry layer
(`sfenv.io.org.retry`) sorts into retried, renewed and fatal:
- `SoapFault`: a SOAP fault with Salesforce's code (`INVALID_SESSION_ID`, ...) and message;
- `HttpError`: a status that is not 200 with no fault in it, or an answer that is not XML
  (an HTML error page of a proxy or the pod).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from lxml import etree

from sfenv.core.metadata.xmlio import hardened_parser, local_name

MD_NS = "http://soap.sforce.com/2006/04/metadata"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


class SoapFault(Exception):
    """A SOAP fault: `code` without its namespace prefix (`sf:INVALID_SESSION_ID` ->
    `INVALID_SESSION_ID`), "" when the fault names none."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message


class AnswerError(Exception):
    """An answer that parsed but lacks what the call returns (no result, no id, a zip that
    is not base64): never retried, reported as a one-line OrgError by the client."""


class HttpError(Exception):
    """An answer that is neither a result nor a fault (an error page, a non-XML body)."""

    def __init__(self, status_code: int, content: bytes = b"") -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.content = content


def q(tag: str) -> str:
    return f"{{{MD_NS}}}{tag}"


def add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, q(tag))
    node.text = text
    return node


def flag(value: bool) -> str:
    return "true" if value else "false"


def envelope(session_id: str, operation: str) -> tuple[etree._Element, etree._Element]:
    """(the envelope, the operation element to fill)."""
    # lxml-stubs 0.5.1 refuses the None key (the default namespace) that lxml accepts
    root = etree.Element(f"{{{SOAP_NS}}}Envelope",
                         nsmap={"soapenv": SOAP_NS, None: MD_NS})  # type: ignore[dict-item]
    header = etree.SubElement(etree.SubElement(root, f"{{{SOAP_NS}}}Header"), q("SessionHeader"))
    add(header, "sessionId", session_id)
    body = etree.SubElement(root, f"{{{SOAP_NS}}}Body")
    return root, etree.SubElement(body, q(operation))


def results(root: etree._Element, operation: str) -> list[etree._Element]:
    """The `<result>` elements of `<operationResponse>`."""
    return list(root.iterfind(f".//{q(operation + 'Response')}/{q('result')}"))


def one_result(root: etree._Element, operation: str, what: str) -> etree._Element:
    found = results(root, operation)
    if not found:
        raise AnswerError(f"the {what} answer has no result")
    return found[0]


def text(node: etree._Element, name: str) -> str | None:
    return node.findtext(q(name))


@dataclass(frozen=True)
class Shape:
    """How an answer's elements read as Python values, from the WSDL's types: the fields
    that repeat (always lists, even with one element), booleans, ints and doubles."""

    lists: frozenset[str] = frozenset()
    bools: frozenset[str] = frozenset()
    ints: frozenset[str] = frozenset()
    floats: frozenset[str] = frozenset()

    def value(self, node: etree._Element) -> object:
        if len(node):
            return self.record(node)
        name, raw = local_name(node), node.text or ""
        if node.get(f"{{{XSI_NS}}}nil") == "true":
            return None
        if name in self.bools:
            return raw.strip().lower() == "true"
        if name in self.ints:
            return int(raw) if raw.strip() else None
        if name in self.floats:
            return float(raw) if raw.strip() else None
        return raw

    def record(self, node: etree._Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in node:
            name = local_name(child)
            if not name:
                continue
            if name in self.lists:
                out.setdefault(name, []).append(self.value(child))
            elif name in out:  # repeated but not known to repeat: a list still loses nothing
                previous = out[name]
                out[name] = (previous if isinstance(previous, list) else [previous]) + \
                    [self.value(child)]
            else:
                out[name] = self.value(child)
        return out


class Endpoint:
    """The org's Metadata API endpoint: POSTs envelopes with the current session."""

    def __init__(self, http: requests.Session, url: str, session_id: Callable[[], str],
                 timeout: float) -> None:
        self.http = http
        self.url = url
        self.session_id = session_id
        self.timeout = timeout
        self._template: requests.PreparedRequest | None = None
        self._template_key: tuple[object, ...] = ()

    def post(self, request: Callable[[str], etree._Element]) -> etree._Element:
        """One call (`request(session_id)` -> envelope): the parsed answer, or SoapFault /
        HttpError."""
        response = self._send(request(self.session_id()))
        root = _answer(response)
        if response.status_code != 200:
            raise HttpError(response.status_code, response.content)
        return root

    def post_for_rows(self, request: Callable[[str], etree._Element], operation: str,
                      keep: Collection[str] | None = None) -> list[dict[str, Any]]:
        """One call whose answer is a list of flat `<result>`s (listMetadata), read as it
        streams through the parser: each result is freed once read, and only the fields in
        `keep` are kept (values interned: many rows share them). A 60k-component org lists
        ~110k fields in one 12 MB answer; a whole tree of it held ~10 times that."""
        response = self._send(request(self.session_id()))
        if response.status_code != 200:  # a fault or an error page: small, parsed whole
            _answer(response)
            raise HttpError(response.status_code, response.content)
        return _rows(response, operation, keep)

    def _send(self, request: etree._Element) -> requests.Response:
        """POST one envelope as `Session.post` would, from a request prepared once.

        A pull asks hundreds of listMetadata of one URL, and `Session.request` prepared each
        from scratch (URL parsing, header merging, a look for ~/.netrc): about a third of the
        client's CPU for a call. The headers, auth and hooks are the session's, taken again
        whenever they change; cookies, the environment's settings, redirects and the cookies
        an answer sets are handled by `Session.send` for every call, as before."""
        data = etree.tostring(request, xml_declaration=True, encoding="UTF-8")
        prepared = self._prepared().copy()
        prepared.prepare_body(data, None)
        prepared.prepare_cookies(self.http.cookies)
        settings = self.http.merge_environment_settings(prepared.url, {}, None, None, None)
        return self.http.send(prepared, timeout=self.timeout, allow_redirects=True, **settings)

    def _prepared(self) -> requests.PreparedRequest:
        """The envelope POST's request line and headers, without a body or cookies."""
        http = self.http
        key = (tuple(http.headers.items()), id(http.auth), http.trust_env,
               tuple((k, tuple(v)) for k, v in http.hooks.items()))
        if self._template is None or key != self._template_key:
            bare = requests.Session()  # cookies are added per call, from the session's jar
            bare.headers, bare.auth, bare.hooks = http.headers, http.auth, http.hooks
            bare.trust_env, bare.params = http.trust_env, http.params
            self._template = bare.prepare_request(requests.Request(
                "POST", self.url, headers={"Content-Type": "text/xml; charset=utf-8",
                                           "SOAPAction": '""'}))
            self._template_key = key
        return self._template


def _rows(response: requests.Response, operation: str,
          keep: Collection[str] | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    result_tag, fault_tag = q("result"), f"{{{SOAP_NS}}}Fault"
    context = etree.iterparse(io.BytesIO(response.content), events=("end",),
                              tag=(result_tag, fault_tag), resolve_entities=False,
                              no_network=True, load_dtd=False, huge_tree=True)
    try:
        for _, elem in context:
            if elem.tag == fault_tag:
                raise _fault(elem)
            parent = elem.getparent()
            if parent is None or parent.tag != q(f"{operation}Response"):
                continue
            rows.append({name: sys.intern(child.text or "") for child in elem
                         if (name := local_name(child)) and (keep is None or name in keep)})
            elem.clear()
            while elem.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError:
        raise HttpError(response.status_code, response.content) from None
    return rows


def _fault(node: etree._Element) -> SoapFault:
    code = (node.findtext("faultcode") or "").strip()
    return SoapFault(code.split(":", 1)[-1], node.findtext("faultstring") or "")


def _answer(response: requests.Response) -> etree._Element:
    """The parsed answer; the fault it carries raised, HttpError when it is no XML."""
    try:
        root = etree.fromstring(response.content, hardened_parser(huge_tree=True))
    except etree.XMLSyntaxError:
        raise HttpError(response.status_code, response.content) from None
    fault = root.find(f".//{{{SOAP_NS}}}Fault")
    if fault is not None:
        raise _fault(fault)
    if root.tag != f"{{{SOAP_NS}}}Envelope":  # XHTML error pages parse as XML
        raise HttpError(response.status_code, response.content)
    return root


def members_package(parent: etree._Element, members: Mapping[str, list[str]],
                    api_version: str) -> None:
    """A package (`types` sorted, `members` sorted, then `version`) under `parent`."""
    for type_name, names in sorted(members.items()):
        types = etree.SubElement(parent, q("types"))
        for name in sorted(names):
            add(types, "members", name)
        add(types, "name", type_name)
    add(parent, "version", api_version)
