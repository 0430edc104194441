"""The Metadata API endpoint prepares its POST once and sends each envelope from it: what goes
over the wire (headers, the session's cookies, the body) is what `Session.post` sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from lxml import etree

from sfenv.io.org import listing
from sfenv.io.org.soap import MD_NS, Endpoint

ANSWER = (b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
          b'"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><listMetadataResponse '
          b'xmlns="' + MD_NS.encode() + b'"><result><fullName>Invoice</fullName><type>ApexClass'
          b'</type></result></listMetadataResponse></soapenv:Body></soapenv:Envelope>')


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Set-Cookie", "BrowserId=abc; Path=/")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/services/Soap/m/62.0"
    httpd.shutdown()
    httpd.server_close()


def _call(endpoint: Endpoint, type_name: str) -> list[dict[str, object]]:
    return endpoint.post_for_rows(
        lambda sid: listing.request(sid, [{"type": type_name}], "62.0"), "listMetadata")


def test_each_envelope_goes_out_whole_with_the_sessions_headers_and_cookies(server, monkeypatch):
    prepared: list[str] = []
    real = requests.Session.prepare_request

    def counted(self, request):
        prepared.append(request.url)
        return real(self, request)

    monkeypatch.setattr(requests.Session, "prepare_request", counted)
    http = requests.Session()
    http.headers["User-Agent"] = "sfenv-test"
    endpoint = Endpoint(http, server, lambda: "SID1", timeout=10)
    rows = [_call(endpoint, name) for name in ("ApexClass", "ApexPage", "Flow")]
    assert rows[0] == [{"fullName": "Invoice", "type": "ApexClass"}]
    (first_headers, first_body), *later = _Recorder.seen
    assert len(later) == 2
    for (headers, body), name in zip(_Recorder.seen, ("ApexClass", "ApexPage", "Flow"),
                                     strict=True):
        assert headers["Content-Type"] == "text/xml; charset=utf-8"
        assert headers["SOAPAction"] == '""'
        assert headers["User-Agent"] == "sfenv-test"
        assert int(headers["Content-Length"]) == len(body)
        sent = etree.fromstring(body)
        assert sent.findtext(f".//{{{MD_NS}}}type") == name
        assert sent.findtext(f".//{{{MD_NS}}}sessionId") == "SID1"
    # the cookie the first answer set goes back with the next requests, as Session.post did
    assert "Cookie" not in first_headers
    assert all(h.get("Cookie") == "BrowserId=abc" for h, _ in later)
    assert len(prepared) == 1  # prepared once, not once per call

    http.headers["User-Agent"] = "sfenv-test-2"  # a changed session header is taken again
    _call(endpoint, "Layout")
    assert _Recorder.seen[-1][0]["User-Agent"] == "sfenv-test-2"
