"""`sfenv notify test`: check the channels of sfenv.yml's `notify:` block before a release
needs them."""

from __future__ import annotations

import sys

import click

from sfenv.cli.common import config_option, emit_json, load
from sfenv.errors import EXIT_ORG, EXIT_USAGE


@click.group("notify")
def notify_group() -> None:
    """Notifications to Slack, Teams, a JSON webhook or email (sfenv.yml `notify:`).

    \b
    Example:
      sfenv notify test --channel team
    """


@notify_group.command("test")
@click.option("--channel", "channels", multiple=True,
              help="Only this channel (repeatable); default: every channel.")
@click.option("--json", "as_json", is_flag=True, help="Print each delivery as JSON.")
@config_option
def notify_test(channels: tuple[str, ...], as_json: bool, config_path: str | None) -> None:
    """Send a test message to each channel and say which ones work. Exit 0 when every
    delivery went through, 3 when one failed (named, with why), 2 when none is configured.

    \b
    Example:
      SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… sfenv notify test
    """
    from dataclasses import replace

    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.notify.events import Event
    from sfenv.services.notify.service import notify

    config = load(config_path)
    chosen = [c for c in config.notify if not channels or c.name in channels]
    unknown = sorted(set(channels) - {c.name for c in config.notify})
    if unknown or not chosen:
        known = ", ".join(c.name for c in config.notify) or "none"
        click.echo(f"error: {config.file}: no notify channel named {unknown[0]!r} (known: "
                   f"{known})" if unknown else f"error: {config.file}: no `notify:` channels "
                   f"are configured", err=True)
        sys.exit(EXIT_USAGE)
    config.notify = [replace(c, events=c.events | {"test"}) for c in chosen]
    event = Event("test", "test message", summary="sfenv can reach this channel.",
                  command="sfenv notify test")
    result = notify(config, SnapshotStore(config.root), event)
    if as_json:
        emit_json([d.to_dict() for d in result.deliveries])
    else:
        for d in result.deliveries:
            click.echo(f"{'sent  ' if d.ok else 'FAILED'} {d.channel} ({d.kind})"
                       + ("" if d.ok else f": {d.reason}"))
    if any(not d.ok for d in result.deliveries):
        sys.exit(EXIT_ORG)


COMMANDS = [notify_group]
