"""`sfenv checklist` with the release glue replaced by a fake provider."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.core.checklist import Step

YML = """\
project: acme
api_version: "62.0"
environments:
  qa:
    login_url: https://test.salesforce.com
    username: admin@acme.com.qa
    password_env: X
    owner: QA Lead
  prod:
    login_url: https://login.salesforce.com
    username: admin@acme.com
    password_env: Y
    production: true
    owner: Release Manager
path: [qa, prod]
"""

STEPS = [
    Step("owd.Project__c", "before", "critical", "OWD of Project__c ReadWrite → Private",
         ["Object: Project__c"], "recalc", "Release Manager", "owd", "CustomObject:Project__c"),
    Step("role-new.EMEA", "after", "info", "Assign users to EMEA", [], "", "Release Manager",
         "role-new", "Role:EMEA"),
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "sfenv.yml").write_text(YML)
    monkeypatch.chdir(tmp_path)
    calls = []

    def fake(config, train, env):
        calls.append((train, env))
        return STEPS

    monkeypatch.setattr("sfenv.cli.checklist_cmds._provider", lambda: fake)
    return tmp_path, calls


def test_checklist_prints_markdown_task_list(project):
    _, calls = project
    result = CliRunner().invoke(main, ["checklist", "R1", "--env", "prod"])
    assert result.exit_code == 0, result.output
    assert "- [ ] **BEFORE** [critical] OWD of Project__c ReadWrite → Private (`owd.Project__c`)" in result.output
    assert "- [ ] **AFTER** Assign users to EMEA" in result.output
    assert calls == [("R1", "prod")]


def test_done_ticks_the_step_and_records_it_in_the_repository(project):
    root, _ = project
    runner = CliRunner()
    result = runner.invoke(main, ["checklist", "done", "R1", "owd.Project__c", "--env", "prod", "--by", "Ana"])
    assert result.exit_code == 0, result.output
    state = json.loads((root / "releases" / "R1" / "checklist-prod.json").read_text())
    assert state["done"]["owd.Project__c"]["by"] == "Ana"
    out = runner.invoke(main, ["checklist", "R1", "--env", "prod", "--json"])
    doc = json.loads(out.output)
    assert [s["done"] for s in doc["steps"]] == [True, False]
    assert doc["counts"]["before_open"] == 0
    md = runner.invoke(main, ["checklist", "R1", "--env", "prod", "--markdown"]).output
    assert "- [x] **BEFORE**" in md and "_Done by Ana at " in md


def test_done_with_an_unknown_step_fails_with_one_line(project):
    result = CliRunner().invoke(main, ["checklist", "done", "R1", "nope", "--env", "prod"])
    assert result.exit_code == 2
    assert "no checklist step 'nope'" in result.output
    assert "Traceback" not in result.output


def test_unknown_environment_is_a_config_error(project):
    result = CliRunner().invoke(main, ["checklist", "R1", "--env", "staging"])
    assert result.exit_code == 2
    assert "staging" in result.output


def test_missing_env_option_is_a_usage_error(project):
    result = CliRunner().invoke(main, ["checklist", "R1"])
    assert result.exit_code == 2
    assert "--env" in result.output


def test_a_step_is_named_by_a_unique_beginning_of_its_id(project):
    root, _ = project
    result = CliRunner().invoke(main, ["checklist", "done", "R1", "owd.Pro", "--env", "prod",
                                       "--by", "Ana"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("done: owd.Project__c (R1 → prod) by Ana")
    state = json.loads((root / "releases" / "R1" / "checklist-prod.json").read_text())
    assert set(state["done"]) == {"owd.Project__c"}


def test_a_beginning_shared_by_two_steps_is_refused_naming_them(project, monkeypatch):
    two = [*STEPS, Step("owd.Program__c", "before", "info", "OWD of Program__c", [], "", "",
                        "owd", "CustomObject:Program__c")]
    monkeypatch.setattr("sfenv.cli.checklist_cmds._provider", lambda: lambda c, t, e: two)
    result = CliRunner().invoke(main, ["checklist", "done", "R1", "owd.Pr", "--env", "prod"])
    assert result.exit_code == 2
    assert "'owd.Pr' begins 2 step ids (owd.Project__c, owd.Program__c): give more" in \
        result.output


def test_ticks_without_by_follow_the_one_identity_rule(project, monkeypatch):
    root, _ = project
    monkeypatch.setenv("SFENV_USER", "Release Bot")
    result = CliRunner().invoke(main, ["checklist", "done", "R1", "owd.Project__c", "--env",
                                       "prod"])
    assert result.exit_code == 0, result.output
    state = json.loads((root / "releases" / "R1" / "checklist-prod.json").read_text())
    assert state["done"]["owd.Project__c"]["by"] == "Release Bot"


def test_subcommand_usage_names_train_once():
    result = CliRunner().invoke(main, ["checklist", "done", "--help"], prog_name="sfenv")
    assert result.output.splitlines()[0] == "Usage: sfenv checklist done [OPTIONS] TRAIN STEP"
    assert "$SFENV_USER" in result.output
