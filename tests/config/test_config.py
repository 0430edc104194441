"""sfenv.yml: the minimal file works as written; each mistake names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfenv.config import load_config
from sfenv.errors import ConfigError

MINIMAL = """\
project: acme
api_version: "62.0"
environments:
  dev:  {login_url: "https://127.0.0.1:8441", username: admin@dev.acme, password_env: DEV_PW}
  qa:   {login_url: "https://127.0.0.1:8442", username: admin@qa.acme, password_env: QA_PW}
  prod: {login_url: "https://127.0.0.1:8443", username: admin@acme, password_env: PROD_PW,
         production: true}
path: [dev, qa, prod]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sfenv.yml"
    path.write_text(text)
    return path


def test_minimal_file_from_the_issue_loads_as_written(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.project == "acme"
    assert config.hops() == [("dev", "qa"), ("qa", "prod")]
    assert config.env("prod").production is True
    assert config.env("dev").auth == "password"
    assert config.env("prod").effective_test_level() == "RunLocalTests"
    assert config.env("qa").effective_test_level() == "NoTestRun"
    assert config.root == tmp_path


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("path: [dev, qa, prod]", "path: [dev, uat, prod]"), 8, "unknown environment 'uat'"),
        (("path: [dev, qa, prod]", "path: [dev, qa, dev]"), 8, "twice"),
        (("production: true}", "production: yes please}"), 7, "true or false"),
        (("  qa:   {login_url", "  dev:  {login_url"), 5, "given twice"),
        (("username: admin@qa.acme, password_env: QA_PW", "owner: QA"), 5, "no auth given"),
        (('api_version: "62.0"', 'api_version: "sixty"'), 2, "api_version"),
        (("project: acme", "project: acme\ncolour: blue"), 2, "unknown key 'colour'"),
    ],
)
def test_each_mistake_is_reported_with_file_and_line(tmp_path, change, line, words):
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert words in message


def test_stage_with_several_envs_gives_one_hop_per_member(tmp_path):
    text = MINIMAL.replace("  qa:", "  dev2: {login_url: \"https://x.example\", username: a, password_env: B}\n  qa:")
    text = text.replace("path: [dev, qa, prod]", "path: [[dev, dev2], qa, prod]")
    config = load_config(write(tmp_path, text))
    assert config.hops() == [("dev", "qa"), ("dev2", "qa"), ("qa", "prod")]
    assert config.upstream_of("qa") == ["dev", "dev2"]


def test_auth_methods_are_inferred_from_what_is_given(tmp_path):
    text = MINIMAL.replace(
        '{login_url: "https://127.0.0.1:8442", username: admin@qa.acme, password_env: QA_PW}',
        "{sfdx_url_env: QA_AUTH_URL}",
    ).replace(
        '{login_url: "https://127.0.0.1:8441", username: admin@dev.acme, password_env: DEV_PW}',
        "{jwt: {client_id: abc, username: bot@acme, key_file: k.pem}}",
    )
    config = load_config(write(tmp_path, text))
    assert config.env("qa").auth == "sfdx_url"
    assert config.env("dev").auth == "jwt"


def test_a_tab_in_the_indentation_is_named_with_its_line(tmp_path):
    # a common slip when sfenv.yml is edited by hand; the message says what was found
    path = write(tmp_path, MINIMAL + "exclude:\n\t- ApexClass:Old\n")
    line = (MINIMAL + "exclude:\n").count("\n") + 1
    with pytest.raises(ConfigError, match=rf"sfenv.yml:{line}: not valid YAML: found character "
                                          r"'\\t' that cannot start any token"):
        load_config(path)


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, MINIMAL + "exclude: [a, b\n")
    with pytest.raises(ConfigError, match=r"sfenv.yml:\d+: not valid YAML"):
        load_config(path)


def test_init_writes_a_file_that_loads(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sfenv.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "--project", "demo"])
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "sfenv.yml")
    assert config.project == "demo"
    assert config.env("prod").auth == "jwt" and config.env("prod").strict
    again = CliRunner().invoke(main, ["init"])
    assert again.exit_code == 2 and "exists" in again.output
