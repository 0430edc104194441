"""`sfenv report`: one self-contained HTML file about the whole promotion path."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

import click

from sfenv.cli.changelog_cmds import COMMANDS as CHANGELOG_COMMANDS
from sfenv.cli.common import config_option, emit_json, load, workspace
from sfenv.errors import ConfigError


@click.command("report")
@click.option("--out", "out", default="report.html", show_default=True,
              type=click.Path(dir_okay=False), help="Where to write the HTML file.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the collected data as JSON instead of writing HTML.")
@config_option
def report_cmd(out: str, as_json: bool, config_path: str | None) -> None:
    """Write an HTML report of every environment on the path: snapshots, pending / drift /
    conflict per hop, role hierarchies, org-wide defaults, release trains, checklists and
    backups. Works offline from the snapshots; prints the path written.

    \b
    Example:
      sfenv report --out report.html && xdg-open report.html
    """
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.adoption.chart import adoption_section
    from sfenv.services.report.collect import collect_report
    from sfenv.views.report import render_report, report_to_dict

    config = load(config_path)
    store = SnapshotStore(config.root)
    data = collect_report(config, store, out=out, registry=workspace(config_path).registry)
    # adoption is the report's sibling service: the CLI joins them (see .importlinter)
    data.adoption_html = adoption_section(
        store, [name for name, env in config.environments.items() if env.production])
    if as_json:
        emit_json(report_to_dict(data))
        return
    target = Path(out)
    _write_atomically(target, render_report(data).encode("utf-8"))
    click.echo(str(target.resolve()))


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader (a browser reloading, a CI artifact upload) never sees half a report."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(f"--out {path}: folder {folder} does not exist (create it first: "
                          f"mkdir -p {shlex.quote(str(folder))})")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# `sfenv changelog` lives in its own file; offered here so the CLI needs no new area module
COMMANDS = [report_cmd, *CHANGELOG_COMMANDS]
