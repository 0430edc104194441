"""`sfenv init`, `sfenv pull`, `sfenv backup`, `sfenv log`."""

from __future__ import annotations

from pathlib import Path

import click

from sfenv.cli.backup_cmds import SUBCOMMANDS as BACKUP_SUBCOMMANDS
from sfenv.cli.backup_cmds import BackupGroup
from sfenv.cli.common import config_option, emit_json, load, progress_shown
from sfenv.errors import ConfigError


@click.command("init")
@click.option("--project", default="acme", help="Project name written into sfenv.yml.")
@click.option("--force", is_flag=True, help="Overwrite an existing sfenv.yml.")
def init_cmd(project: str, force: bool) -> None:
    """Write a commented sfenv.yml in this folder.

    \b
    Example:
      sfenv init --project acme && $EDITOR sfenv.yml
    """
    from sfenv.config.template import TEMPLATE

    path = Path("sfenv.yml")
    if path.exists() and not force:
        raise ConfigError(f"{path.resolve()} exists (use --force to overwrite)")
    path.write_text(TEMPLATE.format(project=project), encoding="utf-8")
    click.echo(f"wrote {path.resolve()}")


@click.command("pull")
@click.argument("env")
@click.option("--full", is_flag=True, help="Retrieve everything, not only what changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--new-org", is_flag=True,
              help="ENV was refreshed: accept its new org id and log the refresh.")
@config_option
def pull_cmd(env: str, full: bool, as_json: bool, quiet: bool, new_org: bool,
             config_path: str | None) -> None:
    """Retrieve ENV's metadata into a snapshot commit on refs/heads/sfenv/ENV.

    After the first pull, only components whose lastModifiedDate moved are retrieved; on a
    sandbox with source tracking, only the types SourceMember names are listed again.

    \b
    Example:
      sfenv pull prod            # incremental after the first time
      sfenv pull prod --full     # everything again
    """
    from sfenv.pull import pull_env

    config = load(config_path)
    with progress_shown(as_json, quiet) as progress:
        result = pull_env(config, env, full=full, progress=progress, new_org=new_org)
    if as_json:
        emit_json(result.to_json())
        return
    kind = "incremental" if result.incremental else "full"
    state = "new snapshot" if result.changed else "unchanged"
    click.echo(f"{env}: {state} {result.commit[:12]} ({kind}, {result.components} components, "
               f"{result.retrieved} retrieved, {result.removed} removed, {result.duration_s:.1f}s)")
    if result.cost:
        cost = result.cost
        click.echo(f"  org cost: {cost['api_calls']} API calls ({cost['list_calls']} listMetadata, "
                   f"{cost['retrieves']} retrieves), {cost['bytes_retrieved'] / 1e6:.1f} MB "
                   f"retrieved; {cost['inventory']}")
    for skipped in result.skipped:
        kept = " (previous content kept, stale)" if skipped.get("stale") else ""
        click.echo(f"  skipped {skipped['component']}{kept}: {skipped['reason']}")
    for warning in result.warnings[:20]:
        click.echo(f"  warning: {warning}")
    if len(result.warnings) > 20:
        click.echo(f"  … and {len(result.warnings) - 20} more warnings (see --json)")
    if result.accounting.get("incomplete"):
        click.echo(f"{env}: {result.accounting['incomplete']}")


@click.group("backup", cls=BackupGroup, invoke_without_command=True)
@click.argument("env", required=False)
@click.option("--tag", default=None, help="Tag name (default backup/ENV/<UTC time>); "
              "checked before the pull, never reused.")
@click.option("--json", "as_json", is_flag=True, help="Print ref, commit, tag and counts as JSON.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@config_option
@click.pass_context
def backup_cmd(ctx: click.Context, env: str | None, tag: str | None, as_json: bool, quiet: bool,
               config_path: str | None) -> None:
    """Pull ENV and tag the snapshot: the pre-deployment backup for CI.
    `sfenv backup list` shows every backup; `sfenv backup prune` removes old tags.

    \b
    Example:
      sfenv backup prod --json > backup.json
      sfenv backup prod --tag pre-R2
    """
    if ctx.invoked_subcommand is not None:
        return
    if not env:
        raise click.UsageError("give ENV (e.g. sfenv backup prod), or a subcommand: list, prune")
    from sfenv.pull import backup_env

    config = load(config_path)
    with progress_shown(as_json, quiet) as progress:
        result = backup_env(config, env, tag=tag, progress=progress)
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(f"{env}: backup {result.tag} -> {result.pull.commit[:12]} "
               f"({result.pull.components} components)")


@click.command("log")
@click.argument("env")
@click.option("-n", "--limit", default=20, show_default=True, help="How many snapshots.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@config_option
def log_cmd(env: str, limit: int, as_json: bool, config_path: str | None) -> None:
    """The snapshot history of ENV: added/changed/removed components as `sfenv diff` counts
    them (fields, validation rules and other children included), and what made each snapshot
    (pull, backup, promotion or rollback of a train).

    \b
    Example:
      sfenv log prod -n 5
    """
    from sfenv.pull.history import snapshot_log
    from sfenv.store.snapshots import SnapshotStore

    config = load(config_path)
    config.env(env)
    rows = snapshot_log(SnapshotStore(config.root), env, limit=limit)
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    if not rows:
        click.echo(f"{env}: no snapshots yet (run `sfenv pull {env}`)")
        return
    for r in rows:
        tags = f"  [{', '.join(r.tags)}]" if r.tags else ""
        kind = "incr" if r.incremental else "full"
        click.echo(f"{r.commit[:12]}  {r.when}  {kind}  {r.components:>6} components  "
                   f"+{r.added} ~{r.changed} -{r.removed}  {r.made_by}{tags}")
        if r.completeness and r.completeness.get("incomplete"):
            click.echo(f"    {r.completeness['incomplete']}")


for _sub in BACKUP_SUBCOMMANDS:  # `sfenv backup list|prune` (sfenv/cli/backup_cmds.py)
    backup_cmd.add_command(_sub)

COMMANDS = [init_cmd, pull_cmd, backup_cmd, log_cmd]
