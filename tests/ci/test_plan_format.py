"""`sfenv release plan --format text|json|markdown-comment` (`--json` stays an alias): the
markdown comment is what a CI job posts, starting with the marker that finds it again."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.services.train.model import Item, ReleasePlan
from sfenv.views.plan_comment import MARKER

CONFIG = """\
project: acme
api_version: "62.0"
environments:
  branch: {kind: git, ref: HEAD}
  qa: {login_url: "https://qa.example", username: a@qa, password_env: QA_PW}
path: [branch, qa]
"""


@pytest.fixture
def planned(tmp_path, monkeypatch):
    (tmp_path / "sfenv.yml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    plan = ReleasePlan(train="pr-7", source="branch", source_commit="a" * 40, target="qa",
                       target_commit="b" * 40, adds=[Item("ApexClass:Invoice", "added")],
                       changes=[], deletes=[], manual=[], dependency_problems=[], files=2,
                       bytes=300)
    monkeypatch.setattr("sfenv.services.train.train.plan", lambda *a, **k: plan)
    return plan


def _plan(*args: str):
    return CliRunner().invoke(main, ["release", "plan", "pr-7", "--from", "branch", *args])


def test_markdown_comment_is_the_pr_comment_body_with_its_marker(planned):
    result = _plan("--format", "markdown-comment")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == MARKER
    assert lines[1] == "**sfenv plan pr-7: branch → qa: 1 to add, 0 to change, 0 to delete, " \
                       "0 manual**"
    assert "- `Invoice`" in result.output
    assert "### Checklist" not in result.output  # the train is not built: no steps guessed


def test_json_flag_and_format_json_print_the_same_plan(planned):
    by_flag, by_format = _plan("--json"), _plan("--format", "json")
    assert by_flag.exit_code == by_format.exit_code == 0
    assert json.loads(by_flag.output) == json.loads(by_format.output) == planned.to_dict()


def test_json_flag_with_another_format_is_a_usage_error(planned):
    result = _plan("--json", "--format", "markdown-comment")
    assert result.exit_code == 2
    assert "--json and --format markdown-comment exclude each other" in result.output
