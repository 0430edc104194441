"""SOAP 1.1 envelope and fault helpers for the local org (partner login and Metadata API).

Shared contract with `sfenv/localorg/mdapi/api.py` (keep these signatures exact):

- `parse_envelope(body: bytes) -> (operation_name, header_session_id, body_element)`
  parses a request with a hardened lxml parser (no entities, no network, no DTD).
  `operation_name` is the local name of the first element inside `<soapenv:Body>` (e.g.
  "listMetadata"), `header_session_id` the text of any `SessionHeader/sessionId` in the Header
  (None when absent), `body_element` that operation element. Malformed input raises `SoapFault`.
- `envelope(body_xml: str, ns=METADATA_NS) -> bytes` wraps `body_xml` (already-escaped XML
  text, elements unprefixed) in `<soapenv:Envelope ...><soapenv:Body>...`; the default
  namespace of the Body content is `ns`, so `<listMetadataResponse><result>...` lands in the
  Metadata namespace exactly as Salesforce answers.
- `fault(code, message) -> bytes` is a SOAP fault as Salesforce writes it:
  `<faultcode>sf:CODE</faultcode><faultstring>CODE: message</faultstring>` and a `<detail>`
  holding the ApiFault shape (`sf:exceptionCode`, `sf:exceptionMessage`). Send it with HTTP
  `FAULT_STATUS` (500) and `CONTENT_TYPE` (text/xml). `code` may be given with or without the
  `sf:` prefix.
- `SoapFault(code, message)`: raise it anywhere below the dispatcher; the server turns it into
  `fault(code, message)` with status 500.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from lxml import etree

from sfenv.core.metadata.xmlio import hardened_parser, local_name

SOAPENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
METADATA_NS = "http://soap.sforce.com/2006/04/metadata"
PARTNER_NS = "urn:partner.soap.sforce.com"
PARTNER_FAULT_NS = "urn:fault.partner.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
FAULT_STATUS = 500
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_REQUEST_BYTES = 400 * 1024 * 1024  # deploy zips travel base64-encoded inside the envelope


class SoapFault(Exception):
    """A SOAP fault to answer with: `code` like "INVALID_SESSION_ID" (or "sf:..."), a message."""

    def __init__(self, code: str, message: str, *, fault_type: str = "UnexpectedErrorFault"):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fault_type = fault_type


def xml_text(value: object) -> str:
    """Escape a value for element text (`&`, `<`, `>`, quotes)."""
    return escape(str(value), {'"': "&quot;", "'": "&apos;"})


def parse_envelope(body: bytes) -> tuple[str, str | None, etree._Element]:
    """Operation name, SessionHeader session id (or None) and the operation element."""
    if len(body) > MAX_REQUEST_BYTES:
        raise SoapFault("soapenv:Client", "request too large")
    try:
        root = etree.fromstring(body, hardened_parser(huge_tree=True))
    except etree.XMLSyntaxError as err:
        raise SoapFault("soapenv:Client", f"could not parse request: {err}") from None
    if root.tag != f"{{{SOAPENV_NS}}}Envelope":
        raise SoapFault("soapenv:Client", "not a SOAP 1.1 envelope")
    session_id = None
    header = root.find(f"{{{SOAPENV_NS}}}Header")
    if header is not None:
        for el in header.iter():
            if isinstance(el.tag, str) and local_name(el) == "sessionId":
                session_id = (el.text or "").strip() or None
                break
    body_el = root.find(f"{{{SOAPENV_NS}}}Body")
    if body_el is None:
        raise SoapFault("soapenv:Client", "envelope has no Body")
    ops = [el for el in body_el if isinstance(el.tag, str)]
    if not ops:
        raise SoapFault("soapenv:Client", "Body holds no operation")
    return local_name(ops[0]), session_id, ops[0]


Param = tuple[str, bool]   # (WSDL argument name, repeated: an array argument)


def bind_arguments(op_el: etree._Element, params: tuple[Param, ...]) -> dict[str, list[etree._Element]]:
    """An operation's arguments as Salesforce binds them: by position, element names unchecked.

    jsforce names a call's arguments after its own parameters (`<retrieve><request>`,
    `<cancelDeploy><id>`), Salesforce reads them in WSDL order. A repeated (array) argument
    takes the run of consecutive elements sharing the first one's name; any other argument
    takes one element. When every element is named after one of the WSDL arguments, the
    names decide instead, so a client that leaves out an optional argument before a later
    one (an empty `queries` list before `asOfVersion`) binds as it meant to.
    """
    elements = [c for c in op_el if isinstance(c.tag, str)]
    names = {name for name, _ in params}
    bound: dict[str, list[etree._Element]] = {name: [] for name, _ in params}
    if all(local_name(c) in names for c in elements):
        for c in elements:
            bound[local_name(c)].append(c)
        return bound
    i = 0
    for name, repeated in params:
        if i >= len(elements):
            break
        if not repeated:
            bound[name] = [elements[i]]
            i += 1
            continue
        first = local_name(elements[i])
        while i < len(elements) and local_name(elements[i]) == first:
            bound[name].append(elements[i])
            i += 1
    return bound


def envelope(body_xml: str, ns: str = METADATA_NS) -> bytes:
    """A response envelope whose Body content (default namespace `ns`) is `body_xml`."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV_NS}" xmlns="{ns}" xmlns:xsi="{XSI_NS}">'
        f"<soapenv:Body>{body_xml}</soapenv:Body></soapenv:Envelope>"
    )
    return text.encode("utf-8")


def fault(code: str, message: str, *, ns: str = METADATA_NS,
          fault_type: str = "UnexpectedErrorFault") -> bytes:
    """A SOAP fault as Salesforce sends it (status 500). `ns` is the `sf:` fault namespace:
    the Metadata namespace for /Soap/m, `PARTNER_FAULT_NS` for the partner login."""
    bare = code.split(":", 1)[1] if code.startswith("sf:") else code
    if ":" in bare:  # soapenv:Client / soapenv:Server: a protocol fault, no ApiFault detail
        faultcode, faultstring, detail = bare, message, ""
    else:
        faultcode, faultstring = f"sf:{bare}", f"{bare}: {message}"
        detail = (
            f'<detail><sf:{fault_type} xsi:type="sf:{fault_type}">'
            f"<sf:exceptionCode>{xml_text(bare)}</sf:exceptionCode>"
            f"<sf:exceptionMessage>{xml_text(message)}</sf:exceptionMessage>"
            f"</sf:{fault_type}></detail>"
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV_NS}" xmlns:sf="{ns}" xmlns:xsi="{XSI_NS}">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>{xml_text(faultcode)}</faultcode>"
        f"<faultstring>{xml_text(faultstring)}</faultstring>{detail}"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return text.encode("utf-8")


def fault_from(err: SoapFault, *, ns: str = METADATA_NS) -> bytes:
    """`fault()` for a raised `SoapFault`."""
    return fault(err.code, err.message, ns=ns, fault_type=err.fault_type)
