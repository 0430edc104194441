"""`sfenv init`, `sfenv pull`, `sfenv backup`, `sfenv log`."""

from __future__ import annotations

from pathlib import Path

import click

from sfenv.cli.backup_cmds import SUBCOMMANDS as BACKUP_SUBCOMMANDS
from sfenv.cli.backup_cmds import BackupGroup
from sfenv.cli.common import (
    GroupArgument,
    config_option,
    emit_json,
    load,
    progress_shown,
    workspace,
)
from sfenv.core.compare.counts import counted
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


def _counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 component", "2 components": counts read as English in every line we print."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def _refuse_new_org_on_production(config, env: str, confirm: str | None) -> None:
    """`--new-org` rebinds ENV to whatever org its login reaches: on production that must be
    said by name, so a block pointed at a sandbox cannot quietly become "production"."""
    if not config.env(env).production or confirm == env:
        return
    if confirm is not None:
        raise click.UsageError(f"--confirm-production {confirm!r} does not name {env}: run "
                               f"`sfenv pull {env} --new-org --confirm-production {env}`")
    raise ConfigError(f"{env} is production: --new-org would bind it to whatever org its login "
                      f"reaches now; if production really moved to a new org, run "
                      f"`sfenv pull {env} --new-org --confirm-production {env}`")


@click.command("pull")
@click.argument("env", required=False)
@click.option("--full", is_flag=True, help="Retrieve everything, not only what changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--new-org", is_flag=True,
              help="ENV was refreshed: accept its new org id and log the refresh.")
@click.option("--confirm-production", "confirm", metavar="ENV", default=None,
              help="With --new-org on a production environment: its name, to confirm.")
@click.option("--all", "all_envs", is_flag=True, hidden=True)
@config_option
def pull_cmd(env: str | None, full: bool, as_json: bool, quiet: bool, new_org: bool,
             confirm: str | None, all_envs: bool, config_path: str | None) -> None:
    """Retrieve ENV's metadata into a snapshot commit on refs/heads/sfenv/ENV.

    After the first pull, only components whose lastModifiedDate moved are retrieved; on a
    sandbox with source tracking, only the types SourceMember names are listed again.

    \b
    Example:
      sfenv pull prod            # incremental after the first time
      sfenv pull prod --full     # everything again
    """
    from sfenv.services.pull import pull_env

    if all_envs or not env:
        _one_env_at_a_time(config_path, all_envs)
    assert env is not None
    config = load(config_path)
    if confirm is not None and not new_org:
        raise click.UsageError("--confirm-production goes with --new-org")
    if new_org:
        _refuse_new_org_on_production(config, env, confirm)
    with progress_shown(as_json, quiet) as progress:
        result = pull_env(config, env, full=full, progress=progress, new_org=new_org,
                          registry=workspace(config_path).registry)
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(summary_line(result))
    note = counts_note(result)
    if note:
        click.echo(f"  {note}")
    if result.cost:
        cost = result.cost
        click.echo(f"  org cost: {cost['api_calls']} API calls ({cost['list_calls']} listMetadata, "
                   f"{counted(cost['retrieves'], 'retrieve')}), {cost['bytes_retrieved'] / 1e6:.1f} MB "
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


def summary_line(result) -> str:
    """`dev: new snapshot abc (full, 83 components, 231 asked for, 0 removed, 1.6s)`."""
    kind = "incremental" if result.incremental else "full"
    state = "new snapshot" if result.changed else "unchanged"
    asked = (f"{result.retrieved} asked for" if not result.incremental
             else f"{result.retrieved} asked for again")
    return (f"{result.env}: {state} {result.commit[:12]} ({kind}, "
            f"{_counted(result.components, 'component')}, {asked}, "
            f"{result.removed} removed, {result.duration_s:.1f}s)")


def counts_note(result) -> str | None:
    """Why the count asked for differs from the components count (both are right, and the
    difference used to go unexplained: "83 components, 231 retrieved")."""
    if result.incremental:
        if result.retrieved == result.components:
            return None
        return (f"{result.retrieved} asked for again: the components that changed and the types "
                "re-read on every pull; the others are kept from the last snapshot")
    if result.retrieved <= result.components:
        return None
    return (f"{result.retrieved} asked for, {_counted(result.components, 'component')} kept: "
            "names sfenv asks for without a listing (standard value sets) that this org does not "
            "have are asked for and not kept; components count top-level components (fields and "
            "other children are inside their object)")


def _one_env_at_a_time(config_path: str | None, all_envs: bool) -> None:
    """`pull` takes one environment; `--all` (or none) is answered with the exact commands."""
    try:
        config = load(config_path)
        names = [n for stage in config.stages for n in stage] + \
            [n for n in config.environments if all(n not in s for s in config.stages)]
    except ConfigError:
        names = []
    run = " && ".join(f"sfenv pull {n}" for n in names) if names else "sfenv pull ENV"
    what = "--all is not an option" if all_envs else "give the environment to pull"
    raise click.UsageError(f"{what}: pull takes one environment at a time; run `{run}`")


@click.group("backup", cls=BackupGroup, invoke_without_command=True)
@click.argument("env", required=False, cls=GroupArgument)
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
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.notify.backup_events import told_if_failed
    from sfenv.services.pull import backup_env

    config = load(config_path)
    store = SnapshotStore(config.root)
    before = set(store.tags()) if tag is None else set()
    with told_if_failed(config, env, lambda w: click.echo(f"warning: {w}", err=True)), \
            progress_shown(as_json, quiet) as progress:
        result = backup_env(config, env, tag=tag, progress=progress, store=store,
                            reuse_unchanged=True)
    unchanged = result.tag in before  # the org did not change: no new tag on the same snapshot
    if as_json:
        emit_json({**result.to_json(), "unchanged": unchanged})
        return
    if unchanged:
        click.echo(f"{env}: unchanged since {result.tag} -> {result.pull.commit[:12]} "
                   f"({_counted(result.pull.components, 'component')}); no new tag")
        return
    click.echo(f"{env}: backup {result.tag} -> {result.pull.commit[:12]} "
               f"({_counted(result.pull.components, 'component')})")


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
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.history import snapshot_log

    config = load(config_path)
    config.env(env)
    rows = snapshot_log(SnapshotStore(config.root), env, limit=limit,
                        registry=workspace(config_path).registry)
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    if not rows:
        click.echo(f"{env}: no snapshots yet (run `sfenv pull {env}`)")
        return
    for r in rows:
        tags = f"  [{', '.join(r.tags)}]" if r.tags else ""
        kind = "incr" if r.incremental else "full"
        click.echo(f"{r.commit[:12]}  {r.when}  {kind}  {r.components:>6} "
                   f"{'component ' if r.components == 1 else 'components'}  "
                   f"+{r.added} ~{r.changed} -{r.removed}  {r.made_by}{tags}")
        if r.completeness and r.completeness.get("incomplete"):
            click.echo(f"    {r.completeness['incomplete']}")


for _sub in BACKUP_SUBCOMMANDS:  # `sfenv backup list|prune` (sfenv/cli/backup_cmds.py)
    backup_cmd.add_command(_sub)

COMMANDS = [init_cmd, pull_cmd, backup_cmd, log_cmd]
