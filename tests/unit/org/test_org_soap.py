"""The Metadata API envelopes a pull sends: WSDL element order, escaping."""

from __future__ import annotations

from lxml import etree

from sfenv.io.org import describe, listing, retrieve

MD = "{http://soap.sforce.com/2006/04/metadata}"


def _names(node) -> list[str]:
    return [etree.QName(c).localname for c in node]


def test_list_request_follows_the_wsdl_order_and_carries_the_session():
    root = listing.request("SID!", [{"type": "Report", "folder": "Sales"}, {"type": "ApexClass"}],
                             "62.0")
    assert root.findtext(f".//{MD}SessionHeader/{MD}sessionId") == "SID!"
    op = root.find(f".//{MD}listMetadata")
    assert _names(op) == ["queries", "queries", "asOfVersion"]
    assert _names(op[0]) == ["folder", "type"] and _names(op[1]) == ["type"]


def test_retrieve_request_escapes_member_names():
    root = retrieve.request("SID", {"Layout": ["Opp & Deals <x>"], "ApexClass": ["B", "A"]},
                                 "62.0")
    text = etree.tostring(root)
    assert b"Opp &amp; Deals &lt;x&gt;" in text
    package = root.find(f".//{MD}retrieveRequest/{MD}unpackaged")
    first = package.find(f"{MD}types")
    assert [m.text for m in first.findall(f"{MD}members")] == ["A", "B"]
    assert _names(first)[-1] == "name" and _names(package)[-1] == "version"


def test_describe_answer_reads_lists_and_booleans():
    answer = etree.fromstring(
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b'<describeMetadataResponse xmlns="http://soap.sforce.com/2006/04/metadata"><result>'
        b"<metadataObjects><childXmlNames>CustomField</childXmlNames>"
        b"<childXmlNames>ListView</childXmlNames><directoryName>objects</directoryName>"
        b"<inFolder>false</inFolder><metaFile>false</metaFile><suffix>object</suffix>"
        b"<xmlName>CustomObject</xmlName></metadataObjects>"
        b"<metadataObjects><directoryName>reports</directoryName><inFolder>true</inFolder>"
        b"<metaFile>false</metaFile><xmlName>Report</xmlName></metadataObjects>"
        b"</result></describeMetadataResponse></s:Body></s:Envelope>")
    objects, reports = describe.read(answer)
    assert objects["childXmlNames"] == ["CustomField", "ListView"] and objects["inFolder"] is False
    assert reports["childXmlNames"] == [] and reports["inFolder"] is True
