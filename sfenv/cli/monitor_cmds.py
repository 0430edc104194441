"""`sfenv monitor [ENV…]`: what needs attention in each org since the last run."""

from __future__ import annotations

import sys

import click

from sfenv.cli.common import config_option, emit_json, load
from sfenv.core.compare.counts import counted
from sfenv.errors import EXIT_DIFF


@click.command("monitor")
@click.argument("envs", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--no-notify", is_flag=True, help="Do not send the findings to sfenv.yml's "
                                                "notify: channels.")
@config_option
def monitor_cmd(envs: tuple[str, ...], as_json: bool, no_notify: bool,
                config_path: str | None) -> None:
    """Check each org environment (default: all of them): setup changes made outside the
    release process since the last run (who and what), the age of the last backup, the org's
    limits against sfenv.yml's `monitor:` thresholds, and failed or pending deployments. Each
    run is recorded on refs/sfenv/monitor/ENV; the next run starts where it stopped.

    Exit 0 when nothing needs attention, 1 when something does, 3 when an org cannot be
    reached.

    \b
    Example (a scheduled CI job):
      sfenv monitor prod --json > monitor.json
    """
    from sfenv.io.org.client import connect
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.monitor.alerts import monitor_events
    from sfenv.services.monitor.service import run_monitor
    from sfenv.services.notify.service import notify

    config = load(config_path)
    names = list(envs) or [n for n, e in config.environments.items() if e.kind == "org"]
    for name in names:
        config.env(name)  # an unknown name is exit 2 before any org is asked
    store = SnapshotStore(config.root)
    report = run_monitor(config, store, names, connect=connect)
    warnings: list[str] = []
    if not no_notify:
        for event in monitor_events(config, report):
            warnings += notify(config, store, event).warnings
    if as_json:
        emit_json({**report.to_dict(), "notification_warnings": warnings})
    else:
        for run in report.envs:
            click.echo(f"{run.env}: {counted(len(run.findings), 'finding')} since {run.since}"
                       if run.findings else f"{run.env}: nothing needs attention since "
                                            f"{run.since}")
            for finding in run.findings:
                click.echo(f"  {finding.kind:<15} {finding.message}")
            for note in run.notes:
                click.echo(f"  note: {note}")
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
    if report.findings:
        sys.exit(EXIT_DIFF)


COMMANDS = [monitor_cmd]
