"""`sfenv checklist TRAIN --env ENV` and `sfenv checklist done TRAIN STEP --env ENV`."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from typing import Any

import click

from sfenv.cli.common import config_option, emit_json, load
from sfenv.errors import ChecklistError


class _ChecklistGroup(click.Group):
    """A group that also takes TRAIN itself: `checklist R1 --env qa` lists, `checklist done ...`
    runs the subcommand (a bare group argument would swallow the word "done")."""

    allow_interspersed_args = True  # `checklist R1 --env prod`: options after TRAIN

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            click.Command.parse_args(self, ctx, [])  # the group's own params: defaults
            ctx._protected_args, ctx.args = args[:1], args[1:]  # type: ignore[attr-defined]
            return ctx.args
        return super().parse_args(ctx, args)


def _provider():
    """The release glue that turns a train and an env into steps (owned by the release area)."""
    from sfenv.release import checklist_for

    return checklist_for


def _steps(config: Any, train: str, env: str) -> list:
    config.env(env)  # ConfigError naming the file for an unknown env
    return list(_provider()(config, train, env))


@click.group("checklist", cls=_ChecklistGroup, invoke_without_command=True)
@click.argument("train", required=False)
@click.option("--env", "env", help="The environment the train is promoted to.")
@click.option("--json", "as_json", is_flag=True, help="Print the checklist as JSON.")
@click.option("--markdown", is_flag=True, help="Print a markdown task list (the default form).")
@config_option
@click.pass_context
def checklist_group(ctx: click.Context, train: str | None, env: str | None, as_json: bool,
                    markdown: bool, config_path: str | None) -> None:
    """The manual steps of promoting TRAIN to ENV: before and after the deploy.

    Steps come from the changes (role hierarchy, org-wide defaults, groups and queues,
    permissions, activations...), from types sfenv.yml keeps manual, and from setup changes
    in the source's audit trail. Done steps are ticked (`sfenv checklist done`).

    \b
    Example:
      sfenv checklist R1 --env prod
      sfenv checklist done R1 owd.Project__c --env prod --by "Ana Lima"
    """
    if ctx.invoked_subcommand is not None:
        return
    if not train or not env:
        raise click.UsageError("give TRAIN and --env ENV (e.g. sfenv checklist R1 --env prod)")
    from sfenv.release.checklist_state import current_done
    from sfenv.render.checklist_render import to_json, to_markdown
    from sfenv.store.snapshots import SnapshotStore

    config = load(config_path)
    steps = _steps(config, train, env)
    done = current_done(config, SnapshotStore(config.root), train, env)
    if as_json:
        emit_json(to_json(steps, done, train=train, env=env))
        return
    click.echo(to_markdown(steps, done, heading=f"Checklist: {train} → {env}"), nl=False)


@checklist_group.command("done")
@click.argument("train")
@click.argument("step")
@click.option("--env", "env", required=True, help="The environment the step was done in.")
@click.option("--by", "who", default=None, help="Who did it (default: git user or login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@config_option
def done_cmd(train: str, step: str, env: str, who: str | None, as_json: bool,
             config_path: str | None) -> None:
    """Record that STEP of TRAIN's checklist for ENV is done (kept in releases/TRAIN/).

    \b
    Example:
      sfenv checklist done R1 role-new.EMEA_Sales_Manager --env prod --by "Ana Lima"
    """
    from sfenv.release.checklist_state import record_step_done
    from sfenv.store.snapshots import SnapshotStore

    config = load(config_path)
    ids = [s.id for s in _steps(config, train, env)]
    if step not in ids:
        hint = f"; steps: {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''}" if ids else ""
        raise ChecklistError(f"{train} → {env}: no checklist step {step!r}{hint}")
    who = who or _default_who()
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = record_step_done(config, SnapshotStore(config.root), train, env, step, who, when)
    if as_json:
        emit_json({"train": train, "env": env, "step": step, "by": who, "at": when,
                   "file": str(path)})
        return
    click.echo(f"done: {step} ({train} → {env}) by {who} at {when}; recorded in {path}")


def _default_who() -> str:
    for var in ("GIT_AUTHOR_NAME", "SFENV_USER"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


COMMANDS = [checklist_group]
