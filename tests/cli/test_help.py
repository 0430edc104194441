"""Every command's --help shows an example, and unknown commands are usage errors (exit 2)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from sfenv.cli import main


def walk(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from walk(command, (*prefix, name))


COMMANDS = list(walk(main))


def test_the_cli_offers_the_whole_flow():
    top = {c[0] for c in COMMANDS}
    assert {"init", "pull", "backup", "log", "diff", "status", "sync-point", "release",
            "checklist", "report", "localorg"} <= top


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_shows_an_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"sfenv {' '.join(path)} --help has no example"


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["promote-everything"])
    assert result.exit_code == 2
