"""`sfenv sync`: push and fetch sfenv's refs, tags and release record to a shared remote."""

from __future__ import annotations

import sys

import click

from sfenv.cli.common import config_option, emit_json, load
from sfenv.core.compare.counts import counted

EXIT_CONFLICTS = 1


@click.command("sync")
@click.option("--remote", default="origin", show_default=True,
              help="The git remote of the metadata repository to share with.")
@click.option("--json", "as_json", is_flag=True, help="Print what happened to each ref as JSON.")
@config_option
def sync_cmd(remote: str, as_json: bool, config_path: str | None) -> None:
    """Share this metadata repository's snapshots, backups and release record with REMOTE.

    Fetches the remote's sfenv refs, merges the release record when two jobs wrote it, and
    pushes everything in one atomic push guarded by the values it fetched: a job never
    overwrites what another pushed meanwhile (it fetches again and retries). Two snapshots of
    one environment made by two jobs: the later one is kept as the environment's snapshot, the
    other under refs/sfenv/superseded/. Exit 0 in sync, 1 when a ref could not be reconciled
    (named), 2 for a missing remote, 3 when git failed.

    \b
    Example (nightly job, one per environment):
      sfenv pull prod && sfenv sync --remote origin
    """
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.checklist_state import replay
    from sfenv.services.sync.service import sync

    config = load(config_path)
    store = SnapshotStore(config.root)
    result = sync(store.git, remote, replay)
    if as_json:
        emit_json(result.to_dict())
    else:
        for outcome in result.outcomes:
            click.echo(f"{outcome.action:<11} {outcome.ref}"
                       + (f"  ({outcome.detail})" if outcome.detail else ""))
        moved = len(result.outcomes) - len(result.conflicts)
        click.echo(f"sync with {remote}: {counted(moved, 'ref')} reconciled, "
                   f"{counted(len(result.conflicts), 'conflict')}, "
                   f"{counted(result.attempts, 'attempt')}" if result.outcomes
                   else f"sync with {remote}: already in sync")
    if result.conflicts:
        sys.exit(EXIT_CONFLICTS)


COMMANDS = [sync_cmd]
