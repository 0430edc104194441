"""The `sfenv` command: a thin click layer. Each area module offers its commands in `COMMANDS`;
commands parse options, call one service function, render its result, and map `SfenvError`
to a one-line message and its exit code."""

from __future__ import annotations

import importlib
import sys

import click

from sfenv import __version__
from sfenv.errors import EXIT_USAGE, SfenvError

AREA_MODULES = (
    "sfenv.cli.localorg_cmds",
    "sfenv.cli.pull_cmds",
    "sfenv.cli.compare_cmds",
    "sfenv.cli.release_cmds",
    "sfenv.cli.checklist_cmds",
    "sfenv.cli.report_cmds",
    "sfenv.cli.source_cmds",
    "sfenv.cli.demo_cmds",
    "sfenv.cli.sync_cmds",
    "sfenv.cli.notify_cmds",
    "sfenv.cli.monitor_cmds",
    "sfenv.cli.ci_cmds",
    "sfenv.cli.adoption_cmds",
)


class SfenvGroup(click.Group):
    """Turns SfenvError into `error: message` and its exit code (traceback only with --debug)."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except SfenvError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {err}", err=True)
            sys.exit(err.exit_code)


@click.group(cls=SfenvGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sfenv")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Salesforce environments as git snapshots, compared along the promotion path and
    promoted in release trains with backups, rollbacks and manual-step checklists.

    \b
    Example:
      sfenv pull prod && sfenv status && sfenv release plan R1 --from dev --to qa
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


for _name in AREA_MODULES:
    _module = importlib.import_module(_name)
    for _command in getattr(_module, "COMMANDS", ()):
        main.add_command(_command)


__all__ = ["main", "EXIT_USAGE"]
