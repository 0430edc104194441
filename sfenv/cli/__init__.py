"""The `sfenv` command: a thin click layer. Each area module offers its commands in `COMMANDS`;
commands parse options, call one service function, render its result, and map `SfenvError`
to a one-line message and its exit code."""

from __future__ import annotations

import sys
from types import ModuleType

import click

from sfenv import __version__
from sfenv.cli import (
    adoption_cmds,
    checklist_cmds,
    ci_cmds,
    compare_cmds,
    monitor_cmds,
    notify_cmds,
    pull_cmds,
    release_cmds,
    report_cmds,
    source_cmds,
    sync_cmds,
)
from sfenv.cli.common import WORKSPACES
from sfenv.cli.local import demo_cmds, localorg_cmds
from sfenv.errors import EXIT_USAGE, SfenvError

# Plain imports, not names given to importlib: the import contracts (.importlinter) see
# every edge from the CLI to the layers below.
AREA_MODULES: tuple[ModuleType, ...] = (
    localorg_cmds, pull_cmds, compare_cmds, release_cmds, checklist_cmds, report_cmds,
    source_cmds, demo_cmds, sync_cmds, notify_cmds, monitor_cmds, ci_cmds, adoption_cmds,
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
    ctx.obj[WORKSPACES] = {}  # common.workspace(): one Workspace per sfenv.yml for this run


for _module in AREA_MODULES:
    for _command in getattr(_module, "COMMANDS", ()):
        main.add_command(_command)


__all__ = ["main", "EXIT_USAGE"]
