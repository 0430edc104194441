"""`sfenv changelog` from a constructed history: refreshes, refused attempts with the
conflicts the guard found, hotfixes with overwrites, one timeline across time formats."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.train.train import commit_files

YML = """\
project: acme
api_version: "62.0"
environments:
  qa:
    login_url: http://127.0.0.1:9
    username: admin@acme.com.qa
    password_env: SFENV_TEST_NOBODY
  prod:
    login_url: http://127.0.0.1:9
    username: admin@acme.com
    password_env: SFENV_TEST_NOBODY
    production: true
path: [qa, prod]
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "sfenv.yml").write_text(YML)
    monkeypatch.chdir(tmp_path)
    store = SnapshotStore(tmp_path)
    first = store.write_snapshot("prod", {"a.txt": b"a\n"},
                                 {"env": "prod", "components": 0,
                                  "finished": "2026-11-01T08:00:00+00:00"}, expected_old=None)
    refresh = {"from_org_id": "00D000000000001", "to_org_id": "00D000000000002",
               "at": "2026-11-03T09:00:00+00:00", "previous": first}
    store.write_snapshot("prod", {"a.txt": b"b\n"},
                         {"env": "prod", "components": 0, "refresh": refresh,
                          "finished": "2026-11-03T09:00:05+00:00"}, expected_old=first)
    train = {"name": "R1", "source": "qa", "source_commit": "", "target": "prod",
             "target_commit": "", "created": "", "created_by": "", "digest": "",
             "components": ["CustomObject:Project__c"], "deletes": [], "manual": [],
             "waves": [], "files": 0, "bytes": 0}
    conflict = {"component": "CustomField:Project__c.Budget__c", "kind": "modified",
                "changed_by": "Priya Patel", "changed_on": "2026-11-02T10:00:00Z",
                "elements": ["length 80 → 120"]}
    log = [
        {"action": "promote", "env": "prod", "result": "refused", "user": "ana",
         "started": "2026-11-02T11:00:00Z", "finished": "2026-11-02T11:00:09Z",
         "conflicts": [conflict], "error": "would overwrite 1 change made in prod"},
        {"action": "promote", "env": "prod", "result": "deployed", "user": "ana", "hotfix": True,
         "started": "2026-11-02T12:00:00Z", "finished": "2026-11-02T12:05:00Z",
         "validation_id": "0Af1", "deploy_ids": ["0Af2"], "backup_tag": "pre-R1",
         "verification": {"ok": True, "checked": 1, "mismatches": []},
         "overwrites": [conflict]},
    ]
    commit_files(store, {"releases/R1/train.json": json.dumps(train).encode(),
                         "releases/R1/log.json": json.dumps(log).encode()}, "R1\n")
    return store


def test_changelog_is_one_timeline_with_refresh_refusal_and_hotfix(project):
    doc = json.loads(CliRunner().invoke(main, ["changelog", "prod", "--json"]).output)
    kinds = [(e["kind"], e["when"]) for e in doc["events"]]
    assert kinds == [("first snapshot", "2026-11-01T08:00:00Z"),
                     ("attempt", "2026-11-02T11:00:09Z"),
                     ("hotfix", "2026-11-02T12:05:00Z"),
                     ("refresh", "2026-11-03T09:00:00Z")]
    refused, hotfix = doc["events"][1], doc["events"][2]
    assert refused["result"] == "refused" and "Priya Patel" in " ".join(refused["details"])
    assert hotfix["overwrites"] and "length 80 → 120" in hotfix["overwrites"][0]
    text = CliRunner().invoke(main, ["changelog", "prod"]).output
    assert "refreshed: org 00D000000000001 → 00D000000000002" in text
    assert "release R1 refused by ana" in text and "release R1 deployed (hotfix)" in text
    assert "Overwrote changes made in the target: CustomField:Project__c.Budget__c" in text
    assert "Backup before: `pre-R1`" in text


def test_changelog_of_an_environment_nothing_reached(project):
    result = CliRunner().invoke(main, ["changelog", "qa"])
    assert result.exit_code == 0
    assert "Nothing recorded for qa yet" in result.output


def test_changelog_of_an_unknown_environment_is_a_usage_error(project):
    result = CliRunner().invoke(main, ["changelog", "uat"])
    assert result.exit_code == 2 and "uat" in result.output
