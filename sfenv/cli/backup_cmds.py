"""`sfenv backup list` and `sfenv backup prune`: the subcommands of `sfenv backup ENV`
(which stays in pull_cmds: a backup is a pull plus a tag)."""

from __future__ import annotations

import click

from sfenv.cli.common import config_option, emit_json, load


class BackupGroup(click.Group):
    """`backup prod` takes a backup, `backup prune ...` / `backup list` run the subcommand (a
    bare group argument would swallow the subcommand's name)."""

    allow_interspersed_args = True

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            click.Command.parse_args(self, ctx, [])
            ctx._protected_args, ctx.args = args[:1], args[1:]  # type: ignore[attr-defined]
            return ctx.args
        return super().parse_args(ctx, args)


@click.command("list")
@click.option("--env", "env", default=None, help="Only this environment's backups.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@config_option
def list_cmd(env: str | None, as_json: bool, config_path: str | None) -> None:
    """Every backup, named ones included, newest first.

    \b
    Example:
      sfenv backup list --env prod
    """
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.backups import list_backups

    config = load(config_path)
    if env:
        config.env(env)
    rows = [b for b in list_backups(SnapshotStore(config.root)) if env in (None, b.env)]
    if as_json:
        emit_json([b.to_json() for b in rows])
        return
    if not rows:
        name = env or next((n for n, e in config.environments.items() if e.production),
                           next(iter(config.environments), "ENV"))
        click.echo(f"no backups{f' of {env}' if env else ''} yet: make one with "
                   f"`sfenv backup {name}`")
    for b in rows:
        click.echo(f"{b.date}  {b.env:<10} {b.commit[:12]}  {b.tag}{'  (named)' if b.named else ''}")


@click.command("prune")
@click.option("--keep-daily", type=click.IntRange(min=0), required=True,
              help="Keep the newest backup of each of the last N days that have one.")
@click.option("--keep-weekly", type=click.IntRange(min=0), default=0, show_default=True,
              help="Keep the newest backup of each of the last M weeks that have one.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print kept / removed / protected as JSON.")
@config_option
def prune_cmd(keep_daily: int, keep_weekly: int, dry_run: bool, as_json: bool,
              config_path: str | None) -> None:
    """Delete old timestamped backup tags (per environment). Tags only: the snapshots stay in
    the environment's history. Named backups, tags a release log or frozen checklist points
    to, and tags created in the last hour are never removed.

    \b
    Example:
      sfenv backup prune --keep-daily 7 --keep-weekly 8 --dry-run
    """
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.backups import prune_backups

    config = load(config_path)
    result = prune_backups(SnapshotStore(config.root), keep_daily=keep_daily,
                           keep_weekly=keep_weekly, dry_run=dry_run)
    if as_json:
        emit_json(result.to_json())
        return
    verb = "would remove" if dry_run else "removed"
    for b in result.removed:
        click.echo(f"{verb} {b.tag}")
    for b in result.protected:
        click.echo(f"kept {b.tag} ({result.why.get(b.tag, 'protected')})")
    click.echo(f"{len(result.removed)} {verb}, {len(result.kept) + len(result.protected)} kept")


SUBCOMMANDS = [list_cmd, prune_cmd]
