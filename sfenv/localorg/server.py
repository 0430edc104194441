"""The local org's HTTP(S) server: routes Salesforce's URLs to the auth, REST and Metadata API
handlers, after fault injection. `http.server.ThreadingHTTPServer` (one thread per connection,
HTTP/1.1 keep-alive) with TLS from `ssl`; the TLS handshake runs in the connection's thread.

The URLs, their handlers and fault kinds are the one route table `routes.ROUTES`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from sfenv.localorg import soap
from sfenv.localorg.certs import ensure_certs
from sfenv.localorg.faults import Decision
from sfenv.localorg.mdapi.commit import recover
from sfenv.localorg.replies import Reply, rest_error
from sfenv.localorg.rest import api as rest
from sfenv.localorg.routes import ROUTES, Headers, Request
from sfenv.localorg.state import STATE_DIR, OrgState

log = logging.getLogger(__name__)
MAX_BODY = soap.MAX_REQUEST_BYTES
UNEXPECTED = "An unexpected error occurred. Please include this ErrorId if you contact support"


class LocalOrgServer:
    """One org served on 127.0.0.1. `start()` serves in a background thread, `stop()` ends it."""

    # how often the serving loop looks for a stop request while no connection comes in (a
    # stop from another thread wakes it at once, see `_shutdown_now`)
    poll_interval = 0.1

    def __init__(self, data_dir: Path, *, port: int = 0, https: bool = True,
                 username: str | None = None, host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir)
        self.org = OrgState.open(self.data_dir, username=username)
        settled = recover(self.org)   # what a stopped org left half done (mdapi/commit.py)
        if settled:
            log.warning("settled %d deploy(s) the org stopped in: %s", len(settled),
                        ", ".join(settled))
        self.faults = self.org.faults
        self.rest = rest.RestApi(self.org)
        self.https = https
        self.certs = ensure_certs(self.data_dir / STATE_DIR) if https else None
        self._httpd = _HTTPServer((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> str | None:
        return str(self.certs.ca_file) if self.certs else None

    def start(self) -> LocalOrgServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="localorg",
                                        kwargs={"poll_interval": self.poll_interval},
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until `stop()` is called from another one."""
        self._httpd.serve_forever(poll_interval=self.poll_interval)

    def stop(self) -> None:
        # shutdown() waits for the serving loop: with its thread already gone (a daemon thread
        # ended at interpreter exit, a stop run by garbage collection) it would wait forever
        if self._thread is None:
            self._httpd.shutdown()
        elif self._thread.is_alive():
            self._shutdown_now()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _shutdown_now(self) -> None:
        """shutdown() of the serving thread without waiting out its poll interval: the loop
        sees the request only when its select() returns, so connections wake it (it checks
        the request before it accepts one; a connection it does accept first is a failed
        handshake, logged at debug). The test suite starts and stops ~500 orgs: 70 ms a stop
        was ~35 s of its wall."""
        stopper = threading.Thread(target=self._httpd.shutdown, name="localorg-stop",
                                   daemon=True)
        stopper.start()
        bound = self._httpd.server_address[0]
        host = bound if isinstance(bound, str) and bound not in ("", "0.0.0.0") else "127.0.0.1"
        while stopper.is_alive():
            with contextlib.suppress(OSError), socket.create_connection(
                    (host, self.port), timeout=1):
                pass
            stopper.join(0.01)

    # --- dispatch ---------------------------------------------------------------------------
    def dispatch(self, method: str, target: str, headers: Headers, body: bytes) -> Reply:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        self.org.reload_if_changed()
        request = Request(method, path, parts.query, headers, body)
        for route in ROUTES:
            if route.method in (None, method) and (match := route.pattern.fullmatch(path)):
                return self.faults.after_reply(route.fault_kind, body, self._guarded(
                    route.fault_kind, lambda r=route, m=match: r.handler(self, request, m)))
        return rest_error(404, "NOT_FOUND", "The requested resource does not exist")

    def _guarded(self, kind: str, work) -> Reply:
        decision = self.faults.decide(kind)
        if decision is not None:
            return self._fault_reply(kind, decision)
        try:
            return work()
        except soap.SoapFault as err:
            return soap.FAULT_STATUS, soap.CONTENT_TYPE, soap.fault_from(err)
        except Exception:  # a bug in a handler: answer like Salesforce, keep serving
            log.error("local org handler failed:\n%s", traceback.format_exc())
            if kind in ("soap", "soap_login"):
                return soap.FAULT_STATUS, soap.CONTENT_TYPE, soap.fault(
                    "UNKNOWN_EXCEPTION", UNEXPECTED)
            return rest_error(500, "UNKNOWN_EXCEPTION", UNEXPECTED)

    def _fault_reply(self, kind: str, decision: Decision) -> Reply:
        is_soap = kind in ("soap", "soap_login")
        ns = soap.PARTNER_FAULT_NS if kind == "soap_login" else soap.METADATA_NS
        if decision.action == "expire":
            self.org.expire_sessions()
            if is_soap:
                return soap.FAULT_STATUS, soap.CONTENT_TYPE, soap.fault(
                    "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: "
                    "Illegal Session. Session not found, missing session hash", ns=ns)
            return rest_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if decision.action == "limit":
            message = decision.message
            if is_soap:
                return soap.FAULT_STATUS, soap.CONTENT_TYPE, soap.fault(
                    "REQUEST_LIMIT_EXCEEDED", message, ns=ns)
            return rest_error(403, "REQUEST_LIMIT_EXCEEDED", message)
        if decision.status == 500:
            if is_soap:
                return 500, soap.CONTENT_TYPE, soap.fault("UNKNOWN_EXCEPTION", UNEXPECTED, ns=ns)
            return rest_error(500, "UNKNOWN_EXCEPTION", UNEXPECTED)
        html = (f"<html><head><title>{decision.status} Service Unavailable</title></head>"
                "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to "
                "service your request. Please try again later.</p></body></html>")
        return decision.status, "text/html;charset=UTF-8", html.encode()

    def limit_info(self) -> tuple[int, int] | None:
        limit = self.faults.request_limit
        if limit is None:
            return None
        used = self.faults.counters.get("requests.rest", 0) + self.faults.counters.get(
            "requests.soap", 0)
        return limit, max(0, limit - used)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # `sf project generate manifest --from-org` opens hundreds of listMetadata connections at
    # once (and ignores the ones that fail): the stdlib's backlog of 5 would drop most of them
    request_queue_size = 1024

    def __init__(self, address, handler, app: LocalOrgServer) -> None:
        self.app = app
        self.ssl_context = None
        if app.https and app.certs:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(str(app.certs.cert_file), str(app.certs.key_file))
            self.ssl_context = ctx
        super().__init__(address, handler)

    def finish_request(self, request, client_address) -> None:
        # runs in the connection's own thread: a slow TLS client never blocks accept()
        if self.ssl_context is not None:
            request.settimeout(30)
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as err:
                log.debug("TLS handshake with %s failed: %s", client_address, err)
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Replies are written in several small sends (headers, body); with Nagle's algorithm on,
    # the second waits for the client's delayed ACK, ~40 ms a call. Salesforce does not.
    disable_nagle_algorithm = True
    server_version = "sfenv-localorg"
    sys_version = ""
    timeout = 120

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        try:
            body = self._read_body()
        except ValueError as err:
            self._send(*rest_error(400, "JSON_PARSER_ERROR", str(err)))
            self.close_connection = True
            return
        app: LocalOrgServer = self.server.app  # type: ignore[attr-defined]
        self._send(*app.dispatch(method, self.path, self.headers, body))

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, content_type: str, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)


def describe(server: LocalOrgServer) -> dict:
    """What `serve` prints: where the org is and how to log in (the org's own secrets)."""
    org = server.org
    admin = org.admin
    return {
        "instance_url": server.base_url, "username": admin.username, "password": admin.password,
        "security_token": admin.security_token, "org_id": org.org_id, "ca_file": server.ca_file,
    }


def to_json_line(data: dict) -> str:
    return json.dumps(data, sort_keys=True)
