"""Messages a release manager can act on (issue 26) and one-line errors instead of tracebacks
(issue 23): each case names what is wrong and, where there is one, the exact command to run."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from tests.reliability.kit import error_line
from tests.reliability.test_hostile_config import GOOD


def run(root: Path, *args: str):
    with contextlib.chdir(root):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SFENV_REL_PW", "not-used")
    (tmp_path / "sfenv.yml").write_text(GOOD)
    return tmp_path


def test_an_unset_token_env_is_named_and_exit_2_before_any_login(project, monkeypatch):
    monkeypatch.delenv("PROD_TOKEN", raising=False)
    (project / "sfenv.yml").write_text(GOOD.replace(
        "    production: true", "    token_env: PROD_TOKEN\n    production: true"))
    result = run(project, "pull", "prod")
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert "PROD_TOKEN" in message and "token_env" in message, message
    assert "INVALID_LOGIN" not in message and "cannot reach" not in message


def test_an_unset_password_env_is_a_configuration_error(project, monkeypatch):
    monkeypatch.delenv("SFENV_REL_PW")
    result = run(project, "pull", "dev")
    assert result.exit_code == 2, result.output
    assert "SFENV_REL_PW" in error_line(result)


def test_an_environment_in_the_wrong_case_says_did_you_mean(project):
    result = run(project, "pull", "DEV")
    assert result.exit_code == 2
    line = error_line(result)
    assert "did you mean 'dev'?" in line
    # the typo is on the command line: the message must not point at a line of sfenv.yml as
    # the place of the mistake (it names the file only as where the environments are declared)
    assert line.removeprefix("error: ").startswith("unknown environment 'DEV'"), line
    assert "declared in" in line and "sfenv.yml" in line, line


def test_pull_all_answers_with_the_commands_to_run(project):
    result = run(project, "pull", "--all")
    assert result.exit_code == 2
    assert "Did you mean '--full'" not in result.output
    assert "`sfenv pull dev && sfenv pull prod`" in result.output, result.output


def test_an_environment_off_the_path_is_warned_with_its_line(project):
    (project / "sfenv.yml").write_text(GOOD.replace("path: [dev, prod]", "path: [prod]"))
    result = run(project, "pull", "dev")  # the org is unreachable: exit 3 after the warning
    warning = next(line for line in result.stderr.splitlines() if line.startswith("warning:"))
    assert f"{project / 'sfenv.yml'}:4: environment 'dev' is declared but not on the path" \
        in warning, warning


def test_new_org_on_production_needs_its_name_and_says_the_command(project):
    result = run(project, "pull", "prod", "--new-org")
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert "production" in message
    assert "`sfenv pull prod --new-org --confirm-production prod`" in message
    wrong = run(project, "pull", "prod", "--new-org", "--confirm-production", "dev")
    assert wrong.exit_code == 2 and "does not name prod" in wrong.output


def test_new_org_on_a_sandbox_needs_no_confirmation(project):
    result = run(project, "pull", "dev", "--new-org")  # refused only by the unreachable org
    assert result.exit_code == 3, result.output
    assert "cannot reach" in error_line(result)


def test_a_jwt_key_file_that_is_not_a_key_is_one_line(project):
    (project / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n"
                                     "-----END PRIVATE KEY-----\n")
    (project / "sfenv.yml").write_text(GOOD.replace(
        "    username: admin@dev.acme\n    password_env: SFENV_REL_PW\n",
        f"    jwt:\n      client_id: 3MVG9\n      key_file: {project / 'key.pem'}\n"
        "      username: admin@dev.acme\n"))
    result = run(project, "pull", "dev")
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert "key.pem" in message and "not an RSA private key" in message, message


def test_sfdx_url_auth_logs_in_as_the_token_s_user_not_none(dev, monkeypatch):
    from sfenv.config.model import EnvConfig
    from sfenv.io.org.client import connect

    project, _ = dev
    org = project.orgs["dev"]
    monkeypatch.setenv("SFENV_REL_SFDX", org.sfdx_auth_url)
    env = EnvConfig(name="dev", auth="sfdx_url", sfdx_url_env="SFENV_REL_SFDX",
                    ca_file=org.ca_file)
    client = connect(env, "62.0")
    assert client.username == org.username


def test_pull_output_explains_asked_for_against_components_in_english(dev):
    project, _ = dev
    result = project.ok("pull", "dev", "--full", "--quiet")
    first = result.output.splitlines()[0]
    assert " retrieved," not in first, first  # "83 components, 231 retrieved" read as a loss
    assert "asked for" in first and "components" in first
    if "asked for," in result.output.splitlines()[1]:
        assert "standard value sets" in result.output.splitlines()[1]


def test_counts_read_as_english_for_one():
    from types import SimpleNamespace

    from sfenv.cli.pull_cmds import summary_line

    one = SimpleNamespace(env="dev", incremental=True, changed=True, commit="a" * 40,
                          components=1, retrieved=1, removed=0, duration_s=0.1)
    assert "1 component," in summary_line(one) and "1 components" not in summary_line(one)


def test_every_command_warns_once_about_an_environment_off_the_path(project):
    (project / "sfenv.yml").write_text(GOOD.replace("path: [dev, prod]", "path: [prod]"))
    for args in (("pull", "dev"), ("status",), ("release", "list")):
        result = run(project, *args)
        warnings = [line for line in result.stderr.splitlines()
                    if "declared but not on the path" in line]
        assert len(warnings) == 1, (args, result.stderr)
