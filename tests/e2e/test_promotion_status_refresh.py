"""Org identity in status (issue 10): when each sandbox was last refreshed (an org id change
accepted with `pull --new-org`), and "refresh due" warnings from the `refresh:` cadence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sfenv.services.records import refreshes
from sfenv.services.records.refreshes import cadence_days
from tests.reliability.promote_kit import two_orgs


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """dev and qa pulled; then qa's block points at dev's org and is pulled with --new-org
    (a refresh of qa from dev). Cadences: qa monthly, dev weekly."""
    for p in two_orgs(tmp_path_factory.mktemp("refresh")):
        text = p.config.read_text()
        dev_url = p.orgs["dev"].instance_url
        qa_url = p.orgs["qa"].instance_url
        text = text.replace("password_env: SFENV_RELPROMOTE_DEV_PW",
                            "password_env: SFENV_RELPROMOTE_DEV_PW\n    refresh: weekly")
        text = text.replace(f"login_url: {qa_url}", f"login_url: {dev_url}")
        if p.orgs["qa"].ca_file:
            text = text.replace(f"ca_file: {p.orgs['qa'].ca_file}",
                                f"ca_file: {p.orgs['dev'].ca_file}")
        text = text.replace(f"username: {p.orgs['qa'].username}",
                            f"username: {p.orgs['dev'].username}")
        text = text.replace("password_env: SFENV_RELPROMOTE_QA_PW",
                            "password_env: SFENV_RELPROMOTE_DEV_PW\n    refresh: monthly")
        p.config.write_text(text)
        refused = p.cli("pull", "qa", "--quiet")
        assert refused.exit_code == 2, refused.output  # another org: not accepted silently
        p.ok("pull", "qa", "--new-org", "--quiet")
        yield p


def test_status_shows_when_each_sandbox_was_last_refreshed(refreshed):
    result = refreshed.cli("status", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rows = {r["env"]: r for r in doc["sandboxes"]}
    assert rows["qa"]["refreshes"] == 1 and rows["qa"]["last_refreshed"]
    assert rows["qa"]["cadence"] == "monthly" and rows["qa"]["due"] is False
    assert rows["dev"]["last_refreshed"] is None and rows["dev"]["cadence"] == "weekly"
    assert doc["warnings"] == []
    text = refreshed.ok("status").stdout
    day = rows["qa"]["last_refreshed"][:10]
    assert f"qa: last refreshed {day}" in text and "refresh: monthly" in text
    assert "dev: no refresh seen since" in text and "refresh due" not in text


def test_status_warns_when_a_refresh_is_due(refreshed, monkeypatch):
    later = datetime.now(UTC) + timedelta(days=40)
    monkeypatch.setattr(refreshes, "_now", lambda: later)
    doc = json.loads(refreshed.ok("status", "--json").stdout)
    due = {r["env"]: r["due"] for r in doc["sandboxes"]}
    assert due == {"dev": True, "qa": True}
    assert any(w.startswith("refresh due: qa (monthly) — last refreshed") and "40 days ago" in w
               for w in doc["warnings"]), doc["warnings"]
    assert any(w.startswith("refresh due: dev (weekly) — no refresh seen since the first pull")
               for w in doc["warnings"]), doc["warnings"]
    text = refreshed.ok("status").stdout
    assert "warning: refresh due: qa (monthly)" in text
    monkeypatch.setattr(refreshes, "_now", lambda: datetime.now(UTC) + timedelta(days=10))
    doc = json.loads(refreshed.ok("status", "--json").stdout)
    assert [r["env"] for r in doc["sandboxes"] if r["due"]] == ["dev"]  # weekly only


@pytest.mark.parametrize(("text", "days"), [
    ("monthly", 30), ("Quarterly", 91), ("every 2 weeks", 14), ("45 days", 45), ("3m", 90),
    ("yearly", 365), ("", None), ("whenever", None), ("every 0 days", None)])
def test_refresh_cadences(text, days):
    assert cadence_days(text) == days
