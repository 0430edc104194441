"""`sfenv checklist TRAIN --env ENV` and `sfenv checklist done TRAIN STEP --env ENV`."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import click

from sfenv.cli.common import GroupArgument, config_option, emit_json, load
from sfenv.errors import ChecklistError
from sfenv.identity import IDENTITY_RULE, acting_user

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.checklist_state import ChecklistView

F = TypeVar("F", bound=Callable[..., None])


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
    from sfenv.services.promote import checklist_for

    return checklist_for


@click.group("checklist", cls=_ChecklistGroup, invoke_without_command=True)
@click.argument("train", required=False, cls=GroupArgument)  # not repeated in `checklist done`'s usage
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
    from sfenv.views.checklist import to_json, to_markdown

    config, store = _open(config_path)
    view = _view(config, store, train, env)
    if as_json:
        doc = to_json(view.steps, view.done, train=train, env=env)
        doc["basis"] = view.basis
        doc["backup_tag"] = view.backup_tag
        doc["frozen_at"] = view.frozen.at if view.frozen else None
        doc["history"] = view.frozen.history if view.frozen else []
        emit_json(doc)
        return
    click.echo(to_markdown(view.steps, view.done, heading=f"Checklist: {train} → {env}"), nl=False)
    click.echo(_basis_line(view))
    first_open = next((step.id for step in view.steps if step.id not in view.done), None)
    if first_open:  # the exact command, so nobody copies an id like audit.0Ym5g… by hand
        click.echo(f"_Tick a step when done: `sfenv checklist done {shlex.quote(train)} "
                   f"{shlex.quote(first_open)} --env {shlex.quote(env)}` (the step id in the "
                   f"backquotes above; a unique beginning of it is enough)._")


def _open(config_path: str | None) -> tuple[Config, SnapshotStore]:
    from sfenv.io.store.snapshots import SnapshotStore

    config = load(config_path)
    return config, SnapshotStore(config.root)


def _view(config: Config, store: SnapshotStore, train: str, env: str) -> ChecklistView:
    from sfenv.services.records.checklist_state import checklist_view

    config.env(env)  # ConfigError naming the file for an unknown env
    return checklist_view(config, store, train, env, _provider())


def _basis_line(view: ChecklistView) -> str:
    if view.frozen is not None:
        return (f"_Frozen at the promotion to {view.env} ({view.frozen.at}), against backup "
                f"{view.backup_tag or view.backup_commit[:12]}._")
    if view.basis == "backup":
        return (f"_Computed against the pre-deploy backup {view.backup_tag or view.backup_commit[:12]}"
                f" (frozen at the first tick)._")
    return f"_Computed against {view.env} as it is now: frozen when {view.train} is promoted._"


def _step_command(name: str, env_help: str, by_help: str) -> Callable[[F], click.Command]:
    """`sfenv checklist NAME TRAIN STEP --env ENV [--by WHO] [--json]`: ticking and un-ticking."""
    decorators = [checklist_group.command(name), click.argument("train"), click.argument("step"),
                  click.option("--env", "env", required=True, help=env_help),
                  click.option("--by", "who", default=None,
                               help=f"{by_help} (default: {IDENTITY_RULE})."),
                  click.option("--json", "as_json", is_flag=True, help="Print the record as JSON."),
                  config_option]

    def wrap(func: F) -> click.Command:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func  # type: ignore[return-value]

    return wrap


def _step_at(config_path: str | None, train: str, env: str, step: str,
             who: str | None) -> tuple[Config, SnapshotStore, ChecklistView, str, str, str]:
    """(config, store, the checklist, the step's full id, who, when) for ticking or
    un-ticking a known step (named in full or by a unique beginning)."""
    config, store = _open(config_path)
    view = _view(config, store, train, env)
    return config, store, view, _known_step(view, step), acting_user(config.root, who), _now()


@_step_command("done", "The environment the step was done in.", "Who did it")
def done_cmd(train: str, step: str, env: str, who: str | None, as_json: bool,
             config_path: str | None) -> None:
    """Record that STEP of TRAIN's checklist for ENV is done (kept in releases/TRAIN/).

    \b
    Example:
      sfenv checklist done R1 role-new.EMEA_Sales_Manager --env prod --by "Ana Lima"
    """
    from sfenv.services.records.checklist_state import freeze_view, record_step_done

    config, store, view, step, who, when = _step_at(config_path, train, env, step, who)
    freeze_view(config, store, view, who, when)
    path = record_step_done(config, store, train, env, step, who, when)
    if as_json:
        emit_json({"train": train, "env": env, "step": step, "by": who, "at": when,
                   "file": str(path)})
        return
    click.echo(f"done: {step} ({train} → {env}) by {who} at {when}; recorded in {path}")


@_step_command("undo", "The environment of the checklist.", "Who un-ticks it")
def undo_cmd(train: str, step: str, env: str, who: str | None, as_json: bool,
             config_path: str | None) -> None:
    """Un-tick STEP of TRAIN's checklist for ENV (logged with who and when).

    \b
    Example:
      sfenv checklist undo R1 group-members.Finance_Approvers --env prod
    """
    from sfenv.services.records.checklist_state import record_step_undone

    config, store, _, step, who, when = _step_at(config_path, train, env, step, who)
    was = record_step_undone(config, store, train, env, step, who, when)
    if as_json:
        emit_json({"train": train, "env": env, "step": step, "by": who, "at": when,
                   "was_done_by": was.get("by"), "was_done_at": was.get("at")})
        return
    click.echo(f"undone: {step} ({train} → {env}) by {who} at {when} "
               f"(was done by {was.get('by')} at {was.get('at')})")


def _known_step(view: ChecklistView, step: str) -> str:
    """The full id of `step`: itself, or the one step id it begins (audit ids are long:
    `audit.0Ym5g` is enough when no other step starts so)."""
    ids = [s.id for s in view.steps]
    if step in ids:
        return step
    matching = [i for i in ids if i.startswith(step)] if step else []
    if len(matching) == 1:
        return matching[0]
    if matching:
        raise ChecklistError(f"{view.train} → {view.env}: {step!r} begins {len(matching)} step "
                             f"ids ({', '.join(matching[:5])}{' ...' if len(matching) > 5 else ''})"
                             f": give more of the id")
    hint = f"; steps: {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''}" if ids else ""
    raise ChecklistError(f"{view.train} → {view.env}: no checklist step {step!r}{hint}")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


COMMANDS = [checklist_group]
