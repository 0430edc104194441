"""`sfenv changelog ENV`: every change that reached ENV, in order (the production record)."""

from __future__ import annotations

import click

from sfenv.cli.common import config_option, emit_json, load, workspace


@click.command("changelog")
@click.argument("env")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@config_option
def changelog_cmd(env: str, as_json: bool, config_path: str | None) -> None:
    """Every change that reached ENV, oldest first: each release train (components and who
    made them upstream, validation and deploy ids, backup, verification, checklist with its
    ticks, overwrites), each hotfix and rollback, each change made in ENV outside the release
    process (first seen, who, when) and each refresh. Read from the snapshots and the release
    record: the org is not asked.

    \b
    Example:
      sfenv changelog prod > prod-changes.md
    """
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.changelog import changelog
    from sfenv.views.changelog import to_json, to_markdown

    config = load(config_path)
    record = changelog(config, SnapshotStore(config.root), env, workspace(config_path).registry)
    if as_json:
        emit_json(to_json(record))
        return
    click.echo(to_markdown(record), nl=False)


COMMANDS = [changelog_cmd]
