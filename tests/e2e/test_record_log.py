"""`sfenv log` counts what `sfenv diff` counts and says what made each snapshot."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records.backups import MESSAGE
from sfenv.services.records.history import snapshot_log
from sfenv.services.train.train import commit_files
from tests.projects import OFFLINE_PROD_YML

YML = OFFLINE_PROD_YML

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">\n'


def account(length: int, rule_active: str) -> bytes:
    return (HEAD + f"""    <fields>
        <fullName>Region__c</fullName>
        <label>Region</label>
        <length>{length}</length>
        <type>Text</type>
    </fields>
    <validationRules>
        <fullName>Region_Format</fullName>
        <active>{rule_active}</active>
        <errorConditionFormula>false</errorConditionFormula>
        <errorMessage>bad</errorMessage>
    </validationRules>
</CustomObject>
""").encode()


# Salesforce does not move the object's lastModifiedDate when a field changes: the index is equal
INDEX = json.dumps({"CustomObject:Account": {"lastModifiedDate": "2026-01-01T00:00:00.000Z",
                                             "lastModifiedByName": "Ana"}}).encode()


@pytest.fixture
def history(tmp_path, monkeypatch):
    (tmp_path / "sfenv.yml").write_text(YML)
    monkeypatch.chdir(tmp_path)
    store = SnapshotStore(tmp_path)
    first = store.write_snapshot("prod", {"objects/Account.object": account(80, "true"),
                                          ".sfenv/components.json": INDEX},
                                 {"env": "prod", "components": 1}, expected_old=None)
    store.tag("backup/prod/20261126T100000Z", first, f"{MESSAGE}prod (1 components)")
    meta = {"env": "prod", "components": 1,
            "accounting": {"totals": {"listed": 3, "retrieved": 2, "skipped": 1, "missing": 0},
                           "incomplete": "incomplete: 1 of 3 listed components did not come back"}}
    second = store.write_snapshot("prod", {"objects/Account.object": account(120, "false"),
                                           ".sfenv/components.json": INDEX},
                                  meta, expected_old=first)
    log = [{"action": "promote", "env": "prod", "result": "deployed", "user": "ana",
            "started": "", "backup_tag": "backup/prod/20261126T100000Z",
            "backup_commit": first, "after_commit": second}]
    commit_files(store, {"releases/R1/log.json": json.dumps(log).encode()}, "log\n")
    return store, first, second


def test_log_counts_field_and_validation_rule_changes_as_diff_does(history):
    store, first, second = history
    rows = snapshot_log(store, "prod")
    assert [r.commit for r in rows] == [second, first]
    assert (rows[0].added, rows[0].changed, rows[0].removed) == (0, 2, 0)


def test_log_says_what_made_each_snapshot_and_shows_completeness(history):
    store, first, second = history
    rows = {r.commit: r for r in snapshot_log(store, "prod")}
    assert rows[second].made_by == "promotion of R1" and rows[second].trains == ["R1"]
    assert rows[first].made_by == "backup before promotion of R1"
    assert rows[first].tags == ["backup/prod/20261126T100000Z"]
    assert rows[second].completeness["listed"] == 3
    assert rows[first].completeness is None  # before accounting existed: tolerated
    out = CliRunner().invoke(main, ["log", "prod"])
    assert out.exit_code == 0, out.output
    assert "~2" in out.output and "promotion of R1" in out.output
    assert "did not come back" in out.output
    doc = json.loads(CliRunner().invoke(main, ["log", "prod", "--json"]).output)
    assert doc[0]["made_by"] == "promotion of R1"
