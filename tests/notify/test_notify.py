"""Notifications: sfenv.yml's `notify:` block, each channel's payload format, delivery with
retries to a local HTTP receiver and a local SMTP server, and the record of every delivery."""

from __future__ import annotations

import json
import socket
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main as cli
from sfenv.config import load_config
from sfenv.config.notify import NotifyChannel, exceptions
from sfenv.errors import ConfigError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.notify import payloads
from sfenv.services.notify.deliver import send
from sfenv.services.notify.events import Event
from sfenv.services.notify.service import notify
from sfenv.services.records.notifications import read_notifications

BASE = """\
project: acme
api_version: "62.0"
environments:
  qa: {auth: access_token, access_token_env: X, instance_url: "https://qa.example"}
  prod: {auth: access_token, access_token_env: X, instance_url: "https://prod.example",
         production: true}
path: [qa, prod]
"""

EVENT = Event("promotion_refused", "R1 refused in prod", env="prod",
              summary="2 components of R1 changed in prod since the plan",
              facts=(("train", "R1"), ("by", "Priya Patel")),
              lines=("CustomField:Invoice__c.Discount__c: changed by Priya Patel <on> 12-01",
                     "ValidationRule:Invoice__c.Due_Date: changed by Tom Becker"),
              command="sfenv release promote R1 --to prod --overwrite CustomField:X",
              project="acme")


def _config(tmp_path: Path, notify_yaml: str):
    (tmp_path / "sfenv.yml").write_text(BASE + textwrap.dedent(notify_yaml))
    return load_config(tmp_path / "sfenv.yml")


class Receiver:
    """A local webhook: records each JSON body; answers with the queued statuses, then 200."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.statuses: list[tuple[int, dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status, headers = receiver.statuses.pop(0) if receiver.statuses else (200, {})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/SECRET-TOKEN"
        # a short poll: shutdown() waits for the loop's next look (0.5 s by default, at every
        # test's teardown)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                         daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def _channel(kind: str = "slack", **kw) -> NotifyChannel:
    return NotifyChannel(kw.pop("name", "team"), kind, kw.pop("events", exceptions()),
                         url_env=kw.pop("url_env", "HOOK"), **kw)


# --- sfenv.yml ---------------------------------------------------------------------------------

def test_channels_are_read_with_exceptions_by_default_and_their_filters(tmp_path):
    config = _config(tmp_path, """\
        notify:
          - {name: team, kind: slack, url_env: SLACK_URL}
          - {name: prod-news, kind: teams, url_env: TEAMS_URL, environments: [prod],
             events: [production_deployed, exceptions]}
        """)
    team, news = config.notify
    assert team.wants("promotion_failed", "qa") and not team.wants("production_deployed", "prod")
    assert news.wants("production_deployed", "prod") and news.wants("rollback", "prod")
    assert not news.wants("rollback", "qa")


@pytest.mark.parametrize("block, message", [
    ("- {name: a, kind: pager, url_env: U}", "kind must be one of slack, teams, webhook, email"),
    ("- {name: a, kind: slack}", "url_env is required"),
    ("- {name: a, kind: slack, url: 'https://hooks.example/x'}", "unknown key 'url'"),
    ("- {name: a, kind: slack, url_env: U, events: [promoted]}", "unknown event 'promoted'"),
    ("- {name: a, kind: slack, url_env: U, environments: [uat]}", "unknown environment 'uat'"),
    ("- {name: a, kind: email, smtp_host: h, sender: s@x.example}", "to is required"),
    ("- {name: a, kind: slack, url_env: 'https://x'}", "must name an environment variable"),
])
def test_a_notify_mistake_is_named_with_its_line(tmp_path, block, message):
    with pytest.raises(ConfigError, match=message) as err:
        _config(tmp_path, "notify:\n  " + block + "\n")
    assert "sfenv.yml:9:" in str(err.value)


# --- payload formats ---------------------------------------------------------------------------

def test_slack_payload_is_block_kit_within_slacks_limits():
    long = Event("drift_in_production", "x" * 400, env="prod", summary="s" * 5000,
                 facts=tuple((f"f{i}", "v" * 3000) for i in range(15)),
                 lines=tuple(f"line {i}" for i in range(40)))
    for event in (EVENT, long):
        body = payloads.slack(event)
        assert isinstance(body["text"], str) and body["text"]
        assert len(body["blocks"]) <= 50
        for block in body["blocks"]:
            assert block["type"] in {"header", "section", "context"}
            if block["type"] == "header":
                assert block["text"]["type"] == "plain_text"
                assert len(block["text"]["text"]) <= 150
            if block["type"] == "section":
                assert ("text" in block) != ("fields" in block) or "text" in block
                if "text" in block:
                    assert block["text"]["type"] == "mrkdwn"
                    assert len(block["text"]["text"]) <= 3000
                for f in block.get("fields", []):
                    assert f["type"] == "mrkdwn" and len(f["text"]) <= 2000
                assert len(block.get("fields", [])) <= 10
            if block["type"] == "context":
                assert 1 <= len(block["elements"]) <= 10
    rendered = json.dumps(payloads.slack(EVENT))
    assert "&lt;on&gt;" in rendered  # Slack's control characters escaped
    assert "… and 20 more" in json.dumps(payloads.slack(long), ensure_ascii=False)


def test_teams_payload_is_one_adaptive_card_attachment():
    body = payloads.teams(EVENT)
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    kinds = {item["type"] for item in card["body"]}
    assert kinds <= {"TextBlock", "FactSet"}
    for item in card["body"]:
        if item["type"] == "TextBlock":
            assert isinstance(item["text"], str) and item["text"]
        else:
            assert all(set(f) == {"title", "value"} for f in item["facts"])
    assert {"title": "by", "value": "Priya Patel"} in next(
        i for i in card["body"] if i["type"] == "FactSet")["facts"]


def test_generic_webhook_carries_the_event_with_a_schema_version():
    body = payloads.webhook(EVENT)
    assert body["source"] == "sfenv" and body["schema"] == 1
    assert body["kind"] == "promotion_refused" and body["env"] == "prod"
    assert body["facts"][0] == {"name": "train", "value": "R1"}


# --- delivery ----------------------------------------------------------------------------------

def test_a_5xx_then_ok_is_retried_and_sent_once(receiver):
    receiver.statuses = [(503, {}), (429, {"Retry-After": "0"})]
    waits: list[float] = []
    (delivery,) = send([_channel()], EVENT, environ={"HOOK": receiver.url}, sleep=waits.append)
    assert delivery.ok and delivery.attempts == 3
    assert waits == [0.5, 0.0]  # backoff, then the webhook's own Retry-After
    assert [b["blocks"][0]["text"]["text"] for b in receiver.bodies][-1].startswith(
        "sfenv [prod]: R1 refused")


def test_a_4xx_is_not_retried_and_the_secret_url_is_never_in_the_reason(receiver):
    receiver.statuses = [(404, {})]
    (delivery,) = send([_channel("webhook")], EVENT, environ={"HOOK": receiver.url},
                       sleep=lambda s: None)
    assert not delivery.ok and delivery.attempts == 1
    assert "404" in delivery.reason and "SECRET-TOKEN" not in delivery.reason


def test_unset_variable_and_plain_http_to_a_remote_host_are_refused_without_a_request():
    deliveries = send([_channel(), _channel(name="b", url_env="PLAIN")], EVENT,
                      environ={"PLAIN": "http://hooks.example/x"}, sleep=lambda s: None)
    assert [d.reason for d in deliveries] == ["environment variable HOOK is not set",
                                              "the URL in PLAIN must be https"]


def test_email_reaches_a_local_smtp_server():
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    got: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            got.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # a free loopback port (the controller needs a number)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = NotifyChannel("mail", "email", exceptions(), smtp_host="127.0.0.1",
                                smtp_port=port, starttls=False, sender="sfenv@acme.example",
                                to=("release@acme.example",))
        (delivery,) = send([channel], EVENT, environ={}, sleep=lambda s: None)
    finally:
        controller.stop()
    assert delivery.ok, delivery.reason
    (envelope,) = got
    assert envelope.rcpt_tos == ["release@acme.example"]
    text = envelope.content.decode()
    assert "Subject: sfenv [prod]: R1 refused in prod" in text
    assert "Next: sfenv release promote R1 --to prod" in text


def test_a_failed_notification_warns_is_recorded_and_never_raises(tmp_path, receiver):
    config = _config(tmp_path, """\
        notify:
          - {name: team, kind: slack, url_env: HOOK}
          - {name: ops, kind: webhook, url_env: MISSING}
        """)
    store = SnapshotStore(config.root)
    result = notify(config, store, EVENT, environ={"HOOK": receiver.url})
    assert [d.ok for d in result.deliveries] == [True, False]
    assert result.warnings == ["notification to ops (webhook) failed after 1 attempt: "
                               "environment variable MISSING is not set"]
    recorded = read_notifications(store)
    assert [(r["channel"], r["ok"]) for r in recorded] == [("team", True), ("ops", False)]


def test_cli_test_message_exit_codes(tmp_path, receiver, monkeypatch):
    _config(tmp_path, """\
        notify:
          - {name: team, kind: slack, url_env: HOOK}
        """)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOOK", receiver.url)
    ok = CliRunner().invoke(cli, ["notify", "test"])
    assert ok.exit_code == 0, ok.output
    assert "sent   team (slack)" in ok.output
    receiver.statuses = [(403, {})]
    bad = CliRunner().invoke(cli, ["notify", "test", "--channel", "team"])
    assert bad.exit_code == 3 and "FAILED team (slack): the webhook answered 403" in bad.output
    unknown = CliRunner().invoke(cli, ["notify", "test", "--channel", "nope"])
    assert unknown.exit_code == 2 and "no notify channel named 'nope'" in unknown.output
