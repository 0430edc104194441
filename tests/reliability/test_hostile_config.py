"""Hostile and mistaken sfenv.yml and manifests: every one is one line naming file:line, exit 2,
and nothing is pulled or written (no org is needed: the input is refused first)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from tests.reliability.kit import error_line

GOOD = """\
project: acme
api_version: "62.0"
environments:
  dev:
    login_url: https://127.0.0.1:9
    username: admin@dev.acme
    password_env: SFENV_REL_PW
  prod:
    login_url: https://127.0.0.1:9
    username: admin@acme
    password_env: SFENV_REL_PW
    production: true
path: [dev, prod]
"""

NESTED = "x: " + "[" * 5000 + "]" * 5000 + "\n"
BLOCK_NESTED = "x:\n" + "".join("  " * i + "- \n" for i in range(1, 2000))
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n" \
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"


def pull_setting(value: str) -> bytes:
    return (GOOD + f"pull:\n  chunk_size: {value}\n").encode()


# name -> (file bytes, line the error must name, words it must contain)
CASES: dict[str, tuple[bytes, int, str]] = {
    "invalid-utf8": ((GOOD + "# caf\xe9\n").encode("latin-1"), 14, "UTF-8"),
    "utf16-le-bom": (GOOD.encode("utf-16"), 1, "UTF-16"),
    "utf16-be": (GOOD.encode("utf-16-be"), 1, "UTF-16"),
    "python-object-apply-tag": (GOOD.replace("project: acme",
                                "project: !!python/object/apply:os.system [id]").encode(), 1,
                                "tag"),
    "unknown-tag": (GOOD.replace("project: acme", "project: !secret acme").encode(), 1, "tag"),
    "binary-tag": (GOOD.replace("project: acme", "project: !!binary aGk=").encode(), 1, "tag"),
    "anchor-alias": (GOOD.replace("    production: true", "    production: &p true")
                     .replace("path: [dev, prod]", "path: [dev, prod]\nx: *p").encode(), 12,
                     "anchors"),
    "billion-laughs": (LAUGHS.encode(), 1, "anchors"),
    "flow-nesting-5000": (NESTED.encode(), 1, "nested"),
    "block-nesting-2000": (BLOCK_NESTED.encode(), 33, "nested"),
    "two-documents": ((GOOD + "---\n" + GOOD).encode(), 14, "more than one"),
    "chunk-size-inf": (pull_setting(".inf"), 15, "pull.chunk_size"),
    "chunk-size-nan": (pull_setting(".nan"), 15, "pull.chunk_size"),
    "chunk-size-minus-inf": (pull_setting("-.inf"), 15, "pull.chunk_size"),
    "chunk-size-1e9": (pull_setting("1e9"), 15, "pull.chunk_size"),
    "chunk-size-fraction": (pull_setting("2.5"), 15, "whole number"),
    "chunk-size-text": (pull_setting("lots"), 15, "pull.chunk_size"),
    "repository-under-a-file": ((GOOD + "repository: afile/repo\n").encode(), 14, "not a folder"),
    "repository-unwritable": ((GOOD + "repository: /proc/sfenv-repo\n").encode(), 14,
                              "cannot be created"),
    "manifest-missing": ((GOOD + "manifest: nowhere/package.xml\n").encode(), 14,
                         "manifest file"),
    "include-types-typo": ((GOOD + "include_types: [ApexClas]\n").encode(), 14,
                           "ApexClas (did you mean ApexClass?)"),
    "manual-types-typo": ((GOOD + "manual_types: [CustomObjects]\n").encode(), 14,
                          "CustomObjects"),
    # issue 23: tracebacks before; issue 26: mistakes accepted before
    "repository-nul": ((GOOD + 'repository: "a\\0b"\n').encode(), 14, "NUL"),
    "login-url-unclosed-ipv6": (GOOD.replace("login_url: https://127.0.0.1:9",
                                             "login_url: 'https://[::1'", 1).encode(), 5,
                                "not a valid URL"),
    "login-url-bad-port": (GOOD.replace("login_url: https://127.0.0.1:9",
                                        "login_url: https://127.0.0.1:port", 1).encode(), 5,
                           "not a valid URL"),
    "production-mid-path": (GOOD.replace("path: [dev, prod]", "path: [prod, dev]").encode(), 13,
                            "production must be the last stage"),
    "two-productions": (GOOD.replace("    password_env: SFENV_REL_PW\n  prod:",
                                     "    password_env: SFENV_REL_PW\n    production: true\n"
                                     "  prod:").encode(), 9, "only one environment is production"),
    "exclude-glob-unknown-type": ((GOOD + 'exclude: ["Grup:*"]\n').encode(), 14,
                                  "Grup (did you mean Group?)"),
    "top-level-list": (b"- project: acme\n", 1, "must be a mapping"),
    "empty": (b"", 1, "empty"),
}


def run(root: Path, *args: str):
    with contextlib.chdir(root):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SFENV_REL_PW", "not-used")
    (tmp_path / "afile").write_text("a file, not a folder")
    return tmp_path


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_sfenv_yml_is_one_line_with_file_and_line(project, name):
    data, line, words = CASES[name]
    (project / "sfenv.yml").write_bytes(data)
    result = run(project, "pull", "dev")
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert message.startswith(f"error: {project / 'sfenv.yml'}:{line}:"), message
    assert words in message, message
    assert not (project / ".git").exists(), "a repository was created from a refused config"


def test_unknown_environment_on_the_command_line_says_did_you_mean(project):
    (project / "sfenv.yml").write_text(GOOD)
    result = run(project, "pull", "prdo")
    assert result.exit_code == 2
    message = error_line(result)
    # the typo is on the command line: the message starts with it, and names sfenv.yml's
    # line only as where the environments are declared
    assert message.startswith("error: unknown environment 'prdo'"), message
    assert f"declared in {project / 'sfenv.yml'}:3:" in message, message
    assert "did you mean 'prod'?" in message
    assert not (project / ".git").exists()


def test_a_manifest_of_typos_is_refused_naming_each_type(project):
    (project / "typos.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        "    <types>\n        <members>*</members>\n        <name>ApexClas</name>\n"
        "    </types>\n    <types>\n        <members>*</members>\n"
        "        <name>CustomObjects</name>\n    </types>\n    <version>62.0</version>\n"
        "</Package>\n")
    (project / "sfenv.yml").write_text(GOOD + "manifest: typos.xml\n")
    result = run(project, "pull", "dev")
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert message.startswith(f"error: {project / 'typos.xml'}:5:"), message
    assert "ApexClas (did you mean ApexClass?)" in message and "CustomObjects" in message
    assert "cannot reach" not in message


def test_a_manifest_that_is_not_xml_is_one_line_not_cannot_reach(project):
    (project / "bad.xml").write_bytes(b"\xff\xfe<Package")
    (project / "sfenv.yml").write_text(GOOD + "manifest: bad.xml\n")
    result = run(project, "pull", "dev")
    assert result.exit_code == 2, result.output
    message = error_line(result)
    assert "bad.xml" in message and "cannot reach" not in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file without read permission")
def test_an_unreadable_sfenv_yml_is_one_line(project):
    path = project / "sfenv.yml"
    path.write_text(GOOD)
    path.chmod(0)
    result = run(project, "pull", "dev")
    assert result.exit_code == 2
    assert "cannot be read" in error_line(result)
