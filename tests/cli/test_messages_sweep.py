"""Messages a newcomer reads, fixed in the messages sweep of issue 26 (the others show in
tests/e2e/golden/demo_week.txt): each says what to do next, and counts read as English."""

from __future__ import annotations

import contextlib

import click
import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.config.adoption import AdoptionSettings
from sfenv.services.adoption import verdicts
from tests.cli.test_help import COMMANDS
from tests.projects import OFFLINE_PROD_YML


@pytest.fixture
def project(tmp_path):
    (tmp_path / "sfenv.yml").write_text(OFFLINE_PROD_YML)
    return tmp_path


def _run(root, *args: str):
    with contextlib.chdir(root):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("path", [c for c in COMMANDS if len(c) > 1], ids=" ".join)
def test_a_subcommands_usage_line_never_shows_its_groups_argument(path):
    """`sfenv backup [ENV] list` read as if `list` took an ENV; it takes --env."""
    usage = CliRunner().invoke(main, [*path, "--help"], prog_name="sfenv").output.splitlines()[0]
    assert usage.startswith(f"Usage: sfenv {' '.join(path)} "), usage


def test_the_backup_usage_line_still_shows_its_env():
    usage = CliRunner().invoke(main, ["backup", "--help"], prog_name="sfenv").output.splitlines()[0]
    assert usage == "Usage: sfenv backup [OPTIONS] [ENV] [COMMAND] [ARGS]..."


def test_no_backups_names_the_command_that_makes_one(project):
    result = _run(project, "backup", "list")
    assert result.exit_code == 0
    assert result.output == "no backups yet: make one with `sfenv backup prod`\n"
    result = _run(project, "backup", "list", "--env", "prod")
    assert result.output == "no backups of prod yet: make one with `sfenv backup prod`\n"


def test_a_report_into_a_missing_folder_says_how_to_create_it(project):
    result = _run(project, "report", "--out", "site/report.html")
    assert result.exit_code == 2
    assert "--out site/report.html: folder site does not exist (create it first: mkdir -p site)" \
        in result.output


def test_adoption_verdicts_count_one_in_the_singular():
    assert verdicts.object_reach(1, None, None, AdoptionSettings()).why == \
        "1 record created since the release"
    assert verdicts.object_reach(2, None, None, AdoptionSettings()).why == \
        "2 records created since the release"
    assert verdicts.flow_runs(1, None).why == "1 run since the release"
    assert verdicts.flow_runs(3, 0).why == "3 runs since the release, 0% failed"


def test_every_group_argument_is_known_to_click():
    # a guard for the test above: the groups with their own argument are the ones it covers
    groups = {name for name, cmd in main.commands.items()
              if isinstance(cmd, click.Group) and any(isinstance(p, click.Argument)
                                                      for p in cmd.params)}
    assert {"backup", "checklist"} <= groups


PATH3_YML = """\
project: acme
api_version: "62.0"
environments:
  dev: {auth: access_token, access_token_env: X, instance_url: "https://dev.example"}
  qa: {auth: access_token, access_token_env: X, instance_url: "https://qa.example"}
  prod: {auth: access_token, access_token_env: X, instance_url: "https://prod.example",
         production: true}
path: [dev, qa, prod]
"""


def test_a_sync_point_given_backwards_names_the_command_the_right_way_round(tmp_path):
    (tmp_path / "sfenv.yml").write_text(PATH3_YML)
    result = _run(tmp_path, "sync-point", "prod", "qa")
    assert result.exit_code == 2
    assert result.output.rstrip().endswith(
        "prod → qa is not a hop of the promotion path (dev → qa → prod); hops: dev → qa, "
        "qa → prod; the hop goes the other way: `sfenv sync-point qa prod`"), result.output
    # a pair that is no hop either way gets no such hint
    assert "other way" not in _run(tmp_path, "sync-point", "dev", "prod").output
