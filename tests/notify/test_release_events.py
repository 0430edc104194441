"""Promotion and rollback outcomes become the events the team is told about."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sfenv.cli import main as cli
from sfenv.services.notify.release_events import release_event
from sfenv.services.train.model import ComponentFailure, LogEntry, PromoteResult
from tests.notify.test_notify import BASE, Receiver  # noqa: F401  (fixture helpers)


def _result(result: str, **entry) -> PromoteResult:
    return PromoteResult("R1", "prod", LogEntry(action="promote", env="prod", result=result,
                                                user="Ana Lima", started="t", **entry), [])


def test_a_refusal_names_what_the_target_changed_with_who_and_when():
    event = release_event(_result("refused", error="2 components changed", conflicts=[
        {"component": "CustomField:Invoice__c.Discount__c", "changed_by": "Priya Patel",
         "changed_on": "2026-12-01"}]), action="promote", production=True)
    assert event is not None and event.kind == "promotion_refused"
    assert event.lines == ("CustomField:Invoice__c.Discount__c: changed in the target by "
                           "Priya Patel on 2026-12-01",)


def test_failures_verification_rollbacks_and_production_news():
    failed = release_event(_result("deploy_failed", error="deploy failed", failures=[
        ComponentFailure("ApexClass:X", "boom", "classes/X.cls")]), action="promote",
        production=False)
    assert failed.kind == "promotion_failed" and failed.lines == ("ApexClass:X: boom",)
    unverified = release_event(_result("deployed", verification={"ok": False}),
                               action="promote", production=True)
    assert unverified.kind == "verification_failed"
    assert release_event(_result("rolled_back"), action="rollback",
                         production=False).kind == "rollback"
    assert release_event(_result("deployed"), action="promote",
                         production=True).kind == "production_deployed"
    assert release_event(_result("deployed"), action="promote", production=False) is None
    assert release_event(_result("cancelled"), action="promote", production=True) is None


def test_promote_tells_the_channels_and_a_dead_channel_only_warns(tmp_path, monkeypatch):
    receiver = Receiver()
    try:
        (tmp_path / "sfenv.yml").write_text(BASE + "notify:\n"
                                            "  - {name: team, kind: webhook, url_env: HOOK}\n"
                                            "  - {name: dead, kind: slack, url_env: NOPE}\n")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("HOOK", receiver.url)
        refused = _result("refused", error="1 component changed", conflicts=[
            {"component": "CustomField:Account.Region__c", "changed_by": "Tom Becker"}])
        monkeypatch.setattr("sfenv.services.promote.promote.promote", lambda *a, **k: refused)
        result = CliRunner().invoke(cli, ["release", "promote", "R1", "--to", "qa"])
        assert result.exit_code == 1, result.output  # the refusal's own exit code
        (body,) = receiver.bodies
        assert body["kind"] == "promotion_refused" and body["env"] == "prod"
        assert "Tom Becker" in json.dumps(body)
        assert "warning: notification to dead (slack) failed" in result.output
    finally:
        receiver.server.shutdown()
