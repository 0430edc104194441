"""`sfenv localorg serve|change`: run a local org that speaks Salesforce's protocols, and make
hand changes in it as a named user (drift that did not come through a release)."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import click

from sfenv.core.compare.counts import counted
from sfenv.errors import ConfigError, MetadataError


@click.group("localorg")
def localorg_group() -> None:
    """A local Salesforce-like org over HTTPS, for demos and tests.

    \b
    Example:
      sfenv localorg serve --data ./orgs/dev --seed acme-dev --json
    """


@localorg_group.command("serve")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The org's folder of Metadata API files (state kept in DIR/.localorg/).")
@click.option("--port", type=int, default=None,
              help="Default: the port this folder was last served on, else a free one (0).")
@click.option("--seed", help="Fill an empty DIR with a seeded org (acme-dev, acme-qa, acme-prod, large:N).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line with URL and credentials.")
@click.option("--http", "plain_http", is_flag=True, help="Plain HTTP instead of HTTPS.")
@click.option("--username", help="Admin username to log in with (created if new).")
@click.option("--fault", "faults", multiple=True, metavar="KEY=VALUE",
              help="Fault injection, e.g. latency_ms=200, error_rate=0.1, seed=7, "
                   "request_limit=100, session_expiry_after=50, truncate_zip=true.")
def serve_cmd(data_dir: Path, port: int | None, seed: str | None, as_json: bool,
              plain_http: bool, username: str | None, faults: tuple[str, ...]) -> None:
    """Serve the org until SIGINT/SIGTERM, printing its URL and where its credentials are.

    A folder served before comes back on the same port (kept in DIR/.localorg/server.json),
    so a config written for it (the demo's sfenv.yml) still points at it. The password and
    security token are written to DIR/.localorg/credentials.json (readable by you only),
    never printed, except as the one JSON line of --json that a program reads.

    \b
    Example:
      sfenv localorg serve --data orgs/dev --seed acme-dev --port 8441
      sfenv localorg serve --data ./my-mdapi-folder --json   # any Metadata API folder
      sfenv localorg serve --data demo-out/orgs/dev          # restart a demo org
    """
    from sfenv.localorg.faults import parse_fault_option
    from sfenv.localorg.server import LocalOrgServer, describe, to_json_line
    from sfenv.localorg.state import STATE_DIR
    from sfenv.localorg.testing import materialize_if_empty, sfdx_auth_url

    settings: dict = {}
    for item in faults:
        try:
            settings.update(parse_fault_option(item))
        except ValueError as err:
            raise ConfigError(f"--fault {item}: {err}") from None
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"--data {data_dir}: not a folder")
    materialize_if_empty(data_dir, seed)
    state = data_dir / STATE_DIR
    saved = _saved_port(state) if port is None else None
    port = saved if saved is not None else (port or 0)
    try:
        server = LocalOrgServer(data_dir, port=port, https=not plain_http, username=username)
    except OSError as err:
        where = f" (the port {data_dir} was last served on)" if saved is not None else ""
        raise ConfigError(f"cannot listen on 127.0.0.1:{port}{where}: {err.strerror or err}; "
                          "--port 0 picks a free one") from None
    if settings:
        server.faults.configure(**settings)
    # the handlers go in before the ready line is printed: a caller that stops the org as soon
    # as it reads that line must get a clean stop, not the default SIGTERM death
    stopping = threading.Event()

    def _stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.stop, daemon=True).start()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    info = describe(server)
    info["access_token"] = server.org.create_session(server.org.admin)
    info["sfdx_auth_url"] = sfdx_auth_url(server)
    _remember(state, server.port, info)
    if as_json:
        click.echo(to_json_line(info))
    else:
        click.echo(f"local org {server.org.org_name} ({info['org_id']}) at {info['instance_url']}")
        click.echo(f"  username:       {info['username']}")
        click.echo(f"  credentials:    {state / CREDENTIALS_FILE} "
                   "(password, security token; readable by you only)")
        if info["ca_file"]:
            click.echo(f"  CA file:        {info['ca_file']}")
        click.echo("Press Ctrl+C to stop.")
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if not stopping.is_set():
            server.stop()
    if not as_json:
        click.echo("stopped")


SERVER_FILE = "server.json"
CREDENTIALS_FILE = "credentials.json"


def _saved_port(state: Path) -> int | None:
    """The port the org of `state` (DIR/.localorg) was last served on (None if never, or the
    file is unreadable)."""
    try:
        port = json.loads((state / SERVER_FILE).read_text("utf-8"))["port"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return port if isinstance(port, int) and 0 < port < 65536 else None


def _remember(state: Path, port: int, info: dict) -> None:
    """Keep the port for the next serve, and the login for its user (mode 0600)."""
    _write_private(state / SERVER_FILE, {"port": port, "instance_url": info["instance_url"]})
    _write_private(state / CREDENTIALS_FILE, {
        k: info[k] for k in ("instance_url", "username", "password", "security_token", "ca_file")})


def _write_private(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


@localorg_group.command("change")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--as", "as_user", help='Who makes the change: a user\'s name ("Jane Doe") or username.')
@click.option("--set-field", nargs=2, metavar="TYPE:NAME ELEMENT=VALUE",
              help="Replace the text of an element of a component, e.g. "
                   "CustomField:Account.Region__c length=255.")
@click.option("--deactivate", metavar="TYPE:NAME", help="Deactivate e.g. ValidationRule:Account.Check.")
@click.option("--audit", nargs=2, metavar='SECTION "DISPLAY"',
              help='Only add an audit-trail row, e.g. "Manage Currencies" "Changed currency".')
@click.option("--when", help="Timestamp of the change (ISO 8601; default now).")
def change_cmd(data_dir: Path, as_user: str | None, set_field: tuple[str, str] | None,
               deactivate: str | None, audit: tuple[str, str] | None, when: str | None) -> None:
    """Make a hand change in Setup in a running or stopped org folder.

    \b
    Example:
      sfenv localorg change orgs/prod --as "Priya Patel" \\
          --set-field CustomField:Account.Region__c length=120
      sfenv localorg change orgs/dev --as "Jamal Wright" --audit "Manage Currencies" "Activated EUR"
    """
    from sfenv.localorg.changes import apply_change
    from sfenv.localorg.state import STATE_DIR, STATE_FILE, OrgState

    if not (data_dir / STATE_DIR / STATE_FILE).exists():
        raise ConfigError(f"{data_dir}: not a local org folder (start it once with "
                          "`sfenv localorg serve`)")
    org = OrgState.open(data_dir)
    try:
        shown = apply_change(org, as_user=as_user, set_field=set_field or None,
                             deactivate=deactivate, audit=audit or None, when=when)
    except ValueError as err:
        raise MetadataError(str(err)) from None
    for line in shown:
        click.echo(line)


_USAGE_EXAMPLE = """\
records:                       # rows per object; by = creator (default: the admin)
  Feedback__c:
    - {Rating__c: 5, by: Sofia Rossi, CreatedDate: 2026-12-07T09:00:00Z}
logins:
  - {user: Sofia Rossi, times: [2026-12-07T08:00:00Z, 2026-12-08T08:05:00Z]}
report_runs:                   # Folder/DeveloperName: when it last ran
  Billing_Reports/Revenue_by_Account_Tier: 2026-12-07T10:00:00Z
flow_interviews:               # status Completed (default) or Error
  - {flow: Invoice_Wizard, when: 2026-12-07T10:00:00Z, count: 3}
page_views:
  - {page: Invoice_Record_Page, day: 2026-12-07, count: 12}
permission_sets:
  - {name: Billing_Manager, user: Elena Garcia, when: 2026-12-07T10:00:00Z}
"""
# (sfenv.cli.local.usage_file reads the file; imported only when the command runs)
USAGE_HELP = """Load usage data from FILE (YAML or JSON) into the local org in ORG_DIR.

Records, logins, report runs, flow interviews, page views and permission set assignments,
as `sfenv adoption` reads them. The whole file is checked first (a mistake is one line
naming the file and line, exit 2), then added to ORG_DIR/.localorg/usage.json; a running
org serves the new rows at once. Users are named by full name or username.

\b
Example:
  sfenv localorg usage demo-out/orgs/prod usage.yml

\b
usage.yml:
""" + "\n".join(f"  {line}" for line in _USAGE_EXAMPLE.splitlines())


ROW_NAMES = {"records": ("record", "records"), "logins": ("login", "logins"),
             "report_runs": ("report run", "report runs"),
             "flow_interviews": ("flow interview", "flow interviews"),
             "page_views": ("page view day", "page view days"),
             "permission_sets": ("permission set assignment", "permission set assignments")}


@localorg_group.command("usage", help=USAGE_HELP)
@click.argument("data_dir", metavar="ORG_DIR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
def usage_cmd(data_dir: Path, file: Path) -> None:
    from sfenv.cli.local.usage_file import load_usage_file
    from sfenv.localorg.state import STATE_DIR, STATE_FILE, OrgState

    if not (data_dir / STATE_DIR / STATE_FILE).exists():
        raise ConfigError(f"{data_dir}: not a local org folder (start it once with "
                          "`sfenv localorg serve`)")
    if not file.is_file():
        raise ConfigError(f"{file}: no such usage file")
    counts = load_usage_file(OrgState.open(data_dir), file)
    shown = ", ".join(counted(n, *ROW_NAMES[key]) for key, n in counts.items())
    click.echo(f"{data_dir}: added {shown or 'nothing'} from {file}")


COMMANDS = [localorg_group]
