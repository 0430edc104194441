"""`sfenv adoption [TRAIN] --env ENV`: is each train's work used in the environment?"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from sfenv.cli.common import config_option, emit_json, load, workspace
from sfenv.core.compare.counts import counted
from sfenv.errors import EXIT_DIFF, ConfigError


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise ConfigError(f"--at: not an ISO date and time: {text!r}") from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command("adoption")
@click.argument("train", required=False)
@click.option("--env", "env", required=True, help="The environment (usually production).")
@click.option("--days", type=click.IntRange(1, 3660), default=None,
              help="Days after the release before an unused verdict counts (default: "
                   "sfenv.yml adoption.days, else 14).")
@click.option("--json", "as_json", is_flag=True, help="Print rows, trends and API calls as JSON.")
@click.option("--fail-on-unused", is_flag=True,
              help="Exit 1 when a component is still unused after the days.")
@click.option("--no-notify", is_flag=True, help="Do not send unused components to sfenv.yml's "
                                                "notify: channels.")
@click.option("--at", "at", default=None, hidden=True,
              help="Measure as at this time (ISO; tests and replays).")
@config_option
def adoption_cmd(train: str | None, env: str, days: int | None, as_json: bool,
                 fail_on_unused: bool, no_notify: bool, at: str | None,
                 config_path: str | None) -> None:
    """Measure whether each component TRAIN (default: every train deployed to ENV) added or
    changed is used in ENV since it got there: field fill rates, records created, page views,
    report runs, screen-flow runs, permission set and group audiences; `unknown` where no free
    signal exists. Each run is recorded per day on refs/sfenv/adoption/ENV, so trends build up.

    Exit 0, or 1 with --fail-on-unused when something is unused after the days; 2 for an
    unknown environment or a train that never reached it; 3 when the org cannot be reached.

    \b
    Example (a scheduled CI job):
      sfenv adoption --env prod --json --fail-on-unused > adoption.json
    """
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.adoption.orgread import connect
    from sfenv.services.adoption.service import run_adoption

    config = load(config_path)
    config.env(env)  # an unknown name is exit 2 before any org is asked
    store = SnapshotStore(config.root)
    run = run_adoption(config, store, env, train, connect=connect, days=days, now=_moment(at),
                       registry=workspace(config_path).registry)
    warnings: list[str] = []
    if not no_notify:
        from sfenv.services.adoption.alerts import adoption_events
        from sfenv.services.notify.service import notify
        for event in adoption_events(run):
            warnings += notify(config, store, event).warnings
    if as_json:
        emit_json({**run.to_dict(), "notification_warnings": warnings})
    else:
        unused = run.unused_settled
        if unused:
            click.echo(f"unused after {run.settings.days} days: "
                       + ", ".join(m.component for m in unused))
        for m in run.rows:
            trend = " ".join("-" if p["value"] is None else _short(p["value"]) for p in m.trend)
            click.echo(f"{m.verdict:<8} {m.component}  ({m.train}, day {m.age_days:.0f}) "
                       f"{m.why}" + (f"  trend: {trend}" if len(m.trend) > 1 else ""))
        for note in run.notes:
            click.echo(f"note: {note}")
        click.echo(counted(len(run.calls), "API call"))
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
    if fail_on_unused and run.unused_settled:
        sys.exit(EXIT_DIFF)


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.0%}" if value <= 1 else f"{value:.0f}"
    return str(value)


COMMANDS = [adoption_cmd]
