"""The checklist record on the releases ref: frozen at promotion, ticks, un-ticks, history.

`freeze_checklist` / `frozen_checklist` are what the promotion calls; the CLI reads them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.core.checklist import Step
from sfenv.errors import ChecklistError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records.checklist_state import (
    freeze_checklist,
    frozen_checklist,
    record_step_done,
    record_step_undone,
    replay,
)
from sfenv.services.train.train import commit_files

YML = """\
project: acme
api_version: "62.0"
environments:
  dev:
    login_url: https://test.salesforce.com
    username: admin@acme.com.dev
    password_env: X
  qa:
    login_url: https://test.salesforce.com
    username: admin@acme.com.qa
    password_env: X
  prod:
    login_url: https://login.salesforce.com
    username: admin@acme.com
    password_env: Y
    production: true
path: [dev, qa, prod]
"""

BEFORE = Step("owd.Project__c", "before", "critical", "OWD of Project__c ReadWrite → Private",
              [], "", "Release Manager", "owd", "CustomObject:Project__c")
AFTER = Step("group-members.Finance_Approvers", "after", "warning",
             "Add the members of Finance_Approvers", [], "", "", "group-members",
             "Group:Finance_Approvers")
AUDIT = Step("audit.0Ym1", "before", "warning", "Repeat by hand: Changed password policy",
             [], "", "", "audit", "")


class _Config:
    def __init__(self, root):
        self.root = root


@pytest.fixture
def store(tmp_path):
    return SnapshotStore(tmp_path / "repo")


def test_freeze_then_read_back_gives_the_same_steps_and_backup(store, tmp_path):
    frozen = freeze_checklist(store, "R1", "prod", [BEFORE, AFTER], "a" * 40,
                              backup_tag="backup/prod/20261126T100000Z", by="Ana",
                              when="2026-11-26T10:00:00Z", config=_Config(tmp_path))
    again = frozen_checklist(store, "R1", "prod")
    assert again is not None and again.steps == [BEFORE, AFTER] == frozen.steps
    assert again.backup_tag == "backup/prod/20261126T100000Z"
    assert again.backup_commit == "a" * 40
    assert frozen_checklist(store, "R1", "qa") is None
    exported = json.loads((tmp_path / "releases" / "R1" / "checklist-prod.json").read_text())
    assert exported["frozen"]["steps"][1]["id"] == AFTER.id


def test_ticks_before_the_freeze_survive_it_and_refreeze_keeps_open_steps(store, tmp_path):
    config = _Config(tmp_path)
    record_step_done(config, store, "R1", "prod", BEFORE.id, "Ana", "2026-11-26T09:00:00Z")
    freeze_checklist(store, "R1", "prod", [BEFORE, AFTER], "a" * 40, when="t1", config=config)
    # a rollback, then a re-promotion computes no audit step any more: it stays, still open
    frozen = freeze_checklist(store, "R1", "prod", [BEFORE], "b" * 40, when="t2",
                              reason="re-promotion", config=config)
    assert [s.id for s in frozen.steps] == [BEFORE.id, AFTER.id]
    assert frozen.done[BEFORE.id]["by"] == "Ana"
    assert [s.id for s in frozen.open_steps()] == [AFTER.id]
    # a rollback adding a step that undoes a manual change: appended
    frozen = freeze_checklist(store, "R1", "prod", [AUDIT], "c" * 40, when="t3",
                              reason="rollback", config=config)
    assert [s.id for s in frozen.steps] == [BEFORE.id, AFTER.id, AUDIT.id]
    assert frozen.backup_commit == "c" * 40


def test_a_tick_by_someone_else_is_refused_and_the_same_person_changes_nothing(store, tmp_path):
    config = _Config(tmp_path)
    freeze_checklist(store, "R1", "prod", [BEFORE, AFTER], "a" * 40, config=config)
    record_step_done(config, store, "R1", "prod", AFTER.id, "Ana", "t1")
    with pytest.raises(ChecklistError, match="done by Ana"):
        record_step_done(config, store, "R1", "prod", AFTER.id, "Bob", "t2")
    head = store.ref_commit("refs/heads/sfenv/releases")
    record_step_done(config, store, "R1", "prod", AFTER.id, "Ana", "t3")
    assert store.ref_commit("refs/heads/sfenv/releases") == head  # nothing new committed
    frozen = frozen_checklist(store, "R1", "prod")
    assert frozen is not None and frozen.done[AFTER.id] == {"by": "Ana", "at": "t1"}


def test_undo_unticks_logs_and_state_equals_the_replayed_history(store, tmp_path):
    config = _Config(tmp_path)
    freeze_checklist(store, "R1", "prod", [BEFORE, AFTER], "a" * 40, config=config)
    record_step_done(config, store, "R1", "prod", AFTER.id, "Ana", "t1")
    was = record_step_undone(config, store, "R1", "prod", AFTER.id, "Bob", "t2")
    assert was == {"by": "Ana", "at": "t1"}
    record_step_done(config, store, "R1", "prod", AFTER.id, "Bob", "t3")
    frozen = frozen_checklist(store, "R1", "prod")
    assert frozen is not None
    assert frozen.done == {AFTER.id: {"by": "Bob", "at": "t3"}} == replay(frozen.history)
    assert [h["action"] for h in frozen.history] == ["freeze", "done", "undo", "done"]
    message = store.message(store.ref_commit("refs/heads/sfenv/releases"))
    assert "by Bob" in message  # the commit names the person the JSON records
    with pytest.raises(ChecklistError, match="not done"):
        record_step_undone(config, store, "R1", "qa", AFTER.id, "Bob", "t4")


# -- through the CLI --------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "sfenv.yml").write_text(YML)
    monkeypatch.chdir(tmp_path)
    live: list[Step] = []  # the org as it is now after the deploy: nothing left to do

    monkeypatch.setattr("sfenv.cli.checklist_cmds._provider",
                        lambda: lambda config, train, env: live)
    store = SnapshotStore(tmp_path)
    train = {"name": "R1", "source": "dev", "source_commit": "", "target": "qa",
             "target_commit": "", "created": "", "created_by": "", "digest": "",
             "components": [], "deletes": [], "manual": [], "waves": [], "files": 0, "bytes": 0}
    commit_files(store, {"releases/R1/train.json": json.dumps(train).encode()}, "train\n")
    return tmp_path, store


def test_the_frozen_checklist_is_shown_after_the_deploy_with_ticks(project):
    root, store = project
    freeze_checklist(store, "R1", "prod", [BEFORE, AFTER], "a" * 40,
                     backup_tag="backup/prod/x", when="2026-11-26T10:00:00Z")
    runner = CliRunner()
    assert runner.invoke(main, ["checklist", "done", "R1", BEFORE.id, "--env", "prod",
                                "--by", "Ana"]).exit_code == 0
    # the after-deploy step is tickable after the deploy (the live checklist is empty)
    out = runner.invoke(main, ["checklist", "done", "R1", AFTER.id, "--env", "prod",
                               "--by", "Raj"])
    assert out.exit_code == 0, out.output
    shown = runner.invoke(main, ["checklist", "R1", "--env", "prod"])
    assert shown.exit_code == 0, shown.output
    assert "- [x] **BEFORE** [critical] OWD of Project__c" in shown.output
    assert "_Done by Raj at " in shown.output
    assert "Frozen at the promotion to prod" in shown.output and "backup/prod/x" in shown.output
    assert "No manual steps" not in shown.output
    doc = json.loads(runner.invoke(main, ["checklist", "R1", "--env", "prod", "--json"]).output)
    assert doc["basis"] == "frozen" and doc["counts"]["open"] == 0


def test_undo_through_the_cli_reopens_the_step(project):
    root, store = project
    freeze_checklist(store, "R1", "prod", [BEFORE, AFTER], "a" * 40)
    runner = CliRunner()
    runner.invoke(main, ["checklist", "done", "R1", AFTER.id, "--env", "prod", "--by", "Ana"])
    refused = runner.invoke(main, ["checklist", "done", "R1", AFTER.id, "--env", "prod",
                                   "--by", "Bob"])
    assert refused.exit_code == 2 and "done by Ana" in refused.output
    out = runner.invoke(main, ["checklist", "undo", "R1", AFTER.id, "--env", "prod",
                               "--by", "Bob"])
    assert out.exit_code == 0, out.output
    assert "was done by Ana" in out.output
    doc = json.loads(runner.invoke(main, ["checklist", "R1", "--env", "prod", "--json"]).output)
    assert [s["done"] for s in doc["steps"]] == [False, False]
    assert [h["action"] for h in doc["history"]] == ["freeze", "done", "undo"]
    exported = json.loads((root / "releases" / "R1" / "checklist-prod.json").read_text())
    assert exported["done"] == {}


def test_the_source_environment_checklist_is_refused_naming_the_path(project):
    result = CliRunner().invoke(main, ["checklist", "R1", "--env", "dev"])
    assert result.exit_code == 2
    assert "dev is the source of R1" in result.output and "dev → qa → prod" in result.output
    assert "Traceback" not in result.output


def test_two_people_ticking_at_once_both_ticks_are_kept(store, tmp_path, monkeypatch):
    config = _Config(tmp_path)
    freeze_checklist(store, "R1", "prod", [BEFORE, AFTER], "a" * 40, config=config)
    real = store.write_ref_commit
    raced: list[bool] = []

    def racing(*args, **kwargs):
        if not raced:  # Bob's tick lands between Ana's read and Ana's write
            raced.append(True)
            record_step_done(config, store, "R1", "prod", AFTER.id, "Bob", "t1")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "write_ref_commit", racing)
    record_step_done(config, store, "R1", "prod", BEFORE.id, "Ana", "t2")
    frozen = frozen_checklist(store, "R1", "prod")
    assert frozen is not None
    assert set(frozen.done) == {BEFORE.id, AFTER.id} and frozen.done == replay(frozen.history)
