"""`sfenv backup ENV` that fails tells the team (`backup_failed`): every channel gets its own
format, the backup's error and exit code stay, a notification that cannot go out only warns."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.notify import payloads
from sfenv.services.notify.backup_events import backup_failed_event
from sfenv.services.records.notifications import read_notifications
from tests.notify.test_notify import receiver  # noqa: F401 -- the local webhook fixture
from tests.projects import OFFLINE_PROD_YML

CHANNELS = """\
notify:
  - {name: team, kind: slack, url_env: SLACK_HOOK}
  - {name: ops, kind: teams, url_env: TEAMS_HOOK}
  - {name: audit, kind: webhook, url_env: JSON_HOOK}
"""


def _backup(tmp_path, monkeypatch, notify_yaml: str, env: str = "prod"):
    (tmp_path / "sfenv.yml").write_text(OFFLINE_PROD_YML + textwrap.dedent(notify_yaml))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SFENV_TEST_NOBODY", "pw")
    return CliRunner().invoke(main, ["backup", env, "--quiet"])


def test_a_failed_backup_is_sent_to_every_channel_in_its_format(tmp_path, monkeypatch,
                                                                 receiver):  # noqa: F811
    for name in ("SLACK_HOOK", "TEAMS_HOOK", "JSON_HOOK"):
        monkeypatch.setenv(name, receiver.url)
    result = _backup(tmp_path, monkeypatch, CHANNELS)
    assert result.exit_code == 3, result.output  # the org's error, unchanged
    assert "warning" not in result.output
    slack, teams, hook = receiver.bodies
    assert slack["text"] and slack["blocks"][0]["type"] == "header"
    assert "backup of prod failed" in slack["blocks"][0]["text"]["text"]
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and "backup of prod failed" in json.dumps(card)
    assert hook["source"] == "sfenv" and hook["kind"] == "backup_failed"
    assert hook["env"] == "prod" and hook["project"] == "acme"
    assert hook["command"] == "sfenv backup prod"
    assert {"name": "exit code", "value": "3"} in hook["facts"]
    assert "127.0.0.1:9" in hook["summary"]  # why: the org could not be reached
    recorded = read_notifications(SnapshotStore(tmp_path))
    assert [(r["channel"], r["event"], r["ok"]) for r in recorded] == [
        ("team", "backup_failed", True), ("ops", "backup_failed", True),
        ("audit", "backup_failed", True)]


def test_a_notification_that_cannot_be_sent_warns_and_the_backup_error_stays(tmp_path,
                                                                               monkeypatch):
    result = _backup(tmp_path, monkeypatch, "notify:\n  - {name: team, kind: slack, "
                                            "url_env: UNSET_HOOK}\n")
    assert result.exit_code == 3
    assert "warning: notification to team (slack) failed after 1 attempt: environment " \
           "variable UNSET_HOOK is not set" in result.output


def test_an_unknown_environment_is_a_typo_not_a_failed_backup(tmp_path, monkeypatch,
                                                              receiver):  # noqa: F811
    monkeypatch.setenv("SLACK_HOOK", receiver.url)
    result = _backup(tmp_path, monkeypatch, CHANNELS.splitlines()[0] + "\n"
                     + CHANNELS.splitlines()[1] + "\n", env="prdo")
    assert result.exit_code == 2 and "did you mean 'prod'" in result.output
    assert receiver.bodies == []


def test_the_email_of_a_failed_backup_names_env_and_what_to_run():
    event = backup_failed_event("prod", RuntimeError("disk full"))
    message = payloads.email(event, "sfenv@acme.example", ("release@acme.example",))
    assert "backup of prod failed" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "RuntimeError: disk full" in text and "sfenv backup prod" in text
