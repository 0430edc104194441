"""Type names in sfenv.yml are checked against the registry after loading (config sits below
core, so the loader only records them with their lines): every mistake is exit 2 naming the
file, the line and the key; a pattern is checked by its type part."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.cli.common import Workspace
from sfenv.config import load_config
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.typenames import unknown_type_names
from sfenv.errors import ConfigError
from tests.config.test_config import MINIMAL, write


def refusal(tmp_path: Path, tail: str) -> str:
    path = write(tmp_path, MINIMAL + tail)
    load_config(path)  # the loader alone reads it: the registry decides
    with pytest.raises(ConfigError) as err:
        Workspace.open(str(path))
    return str(err.value)


@pytest.mark.parametrize(("tail", "words"), [
    ("include_types: [ApexClas]\n", "include_types: unknown metadata type: ApexClas (did you mean ApexClass?)"),
    ('exclude: ["Grup:*"]\n', "exclude: unknown metadata type: Grup (did you mean Group?)"),
    # accepted before: a pattern was never checked, and "Grup:*" kept nothing manual
    ('manual_types: ["Grup:*"]\n', "manual_types: unknown metadata type: Grup (did you mean Group?)"),
    ('include_types: ["Grp*"]\n', "include_types: unknown metadata type: Grp* (a pattern no type matches)"),
    ('exclude: ["Aplex*:Foo"]\n', "exclude: unknown metadata type: Aplex* (a pattern no type matches)"),
])
def test_an_unknown_type_is_refused_with_file_line_and_key(tmp_path, tail, words):
    message = refusal(tmp_path, tail)
    assert message == f"{tmp_path / 'sfenv.yml'}:9: {words}", message


def test_known_types_and_patterns_that_match_pass(tmp_path):
    path = write(tmp_path, MINIMAL + 'include_types: [ApexClass, CustomField]\n'
                 'exclude: ["Apex*:Legacy*", "Group:*", "Report:unfiled$public/*"]\n'
                 'manual_types: [Role, "Group:*", "Sharing*"]\n')
    workspace = Workspace.open(str(path))
    assert workspace.config.exclude[0] == "Apex*:Legacy*"
    assert not (tmp_path / ".git").exists(), "the repository opens on first use only"


def test_the_check_asks_the_registry_it_is_given():
    registry = default_registry()
    assert unknown_type_names(["ApexClass"], registry) is None
    assert unknown_type_names(["ApexClass", "Grup:*", "Grup"], registry) == \
        "unknown metadata type: Grup (did you mean Group?)"


def test_the_cli_refuses_a_misspelt_manual_type_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("DEV_PW", "x")
    write(tmp_path, MINIMAL + 'manual_types: ["Grup:*"]\n')
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(main, ["status"], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (f"error: {tmp_path / 'sfenv.yml'}:9: manual_types: unknown "
                                     "metadata type: Grup (did you mean Group?)")
    assert not (tmp_path / ".git").exists()


def test_a_type_declared_in_metadata_types_may_be_named_in_include_types(tmp_path):
    declared = ("metadata_types:\n  BotBlueprint: {directory: botBlueprints, suffix: blueprint}\n"
                "include_types: [BotBlueprint, ApexClass]\n")
    workspace = Workspace.open(str(write(tmp_path, MINIMAL + declared)))
    assert workspace.registry.find("BotBlueprint") is not None
    message = refusal(tmp_path, "include_types: [BotBlueprint]\n")  # not declared: unknown
    assert "unknown metadata type: BotBlueprint" in message


def test_one_workspace_per_run_however_often_a_command_asks(tmp_path):
    import click

    from sfenv.cli.common import WORKSPACES, load, workspace

    path = str(write(tmp_path, MINIMAL))
    with click.Context(click.Command("x"), obj={WORKSPACES: {}}):
        first = workspace(path)
        assert workspace(path) is first and load(path) is first.config
    with click.Context(click.Command("x"), obj={WORKSPACES: {}}):
        assert workspace(path) is not first  # the next run reads sfenv.yml again
