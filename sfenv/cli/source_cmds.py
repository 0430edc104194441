"""`sfenv delta` (the package between two commits of an sfdx repository) and `sfenv export`
(a snapshot written as an sfdx project or a Metadata API folder)."""

from __future__ import annotations

from pathlib import Path

import click

from sfenv.cli.common import config_option, emit_json, load, workspace


@click.command("delta")
@click.argument("from_ref", metavar="FROM")
@click.argument("to_ref", metavar="TO")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write package.xml, destructiveChanges*.xml and src/ (Metadata API files) here.")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), default=".",
              show_default=True, help="The git repository.")
@click.option("--path", "sub", default="", help="The project's folder inside the repository.")
@click.option("--format", "fmt", type=click.Choice(["mdapi", "source"]), default="mdapi",
              show_default=True, help="Files under --out: Metadata API (src/) or source format "
              "(force-app/, package/, destructiveChanges/ as sfdx-git-delta lays them out).")
@click.option("--json", "as_json", is_flag=True, help="Print members, held and files as JSON.")
def delta_cmd(from_ref: str, to_ref: str, out_dir: str | None, repo_dir: str, sub: str,
              fmt: str, as_json: bool) -> None:
    """The deployable change between two commits of an sfdx (or Metadata API) repository.

    Components are compared, not files: renames, moves between package directories and
    format migrations are no change unless a component differs; profiles carry only changed
    entries; standard objects and fields are never deleted.

    \b
    Example:
      sfenv delta origin/main HEAD --out delta/
      sfenv delta v1.2 HEAD --out delta/ --format source
    """
    from sfenv.services.train.delta import compute_delta, write_delta

    result = compute_delta(Path(repo_dir), from_ref, to_ref, path=sub)
    if out_dir:
        written = write_delta(result, Path(out_dir), fmt=fmt)
    if as_json:
        emit_json(result.to_json())
        return
    total = sum(len(v) for v in result.package.values())
    gone = sum(len(v) for v in result.destructive.values())
    click.echo(f"{result.from_commit[:12]}..{result.to_commit[:12]}: {total} to deploy, "
               f"{gone} to delete, {len(result.held)} held")
    for type_name, members in result.package.items():
        click.echo(f"  deploy {type_name}: {', '.join(members)}")
    for type_name, members in result.destructive.items():
        click.echo(f"  delete {type_name}: {', '.join(members)}")
    for held in result.held:
        click.echo(f"  held {held.component}: {held.reason}")
    if out_dir:
        click.echo(f"wrote {len(written)} files to {Path(out_dir).resolve()}")


@click.command("export")
@click.argument("env")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["source", "mdapi"]), default="source",
              show_default=True, help="sfdx source format or Metadata API format.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@config_option
def export_cmd(env: str, dest: str, fmt: str, as_json: bool, config_path: str | None) -> None:
    """Write ENV's snapshot (or any snapshot: ENV@{date}, a tag, a commit) into DEST.

    \b
    Example:
      sfenv export prod --format source ../prod-project
    """
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.train.export import export_snapshot

    config = load(config_path)
    result = export_snapshot(SnapshotStore(config.root), env, Path(dest), fmt=fmt,
                             api_version=config.api_version,
                             registry=workspace(config_path).registry)
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(f"{env} ({result.commit[:12]}) -> {result.folder}: {result.written} files written, "
               f"{result.unchanged} unchanged")
    for warning in result.warnings[:20]:
        click.echo(f"  warning: {warning}")


COMMANDS = [delta_cmd, export_cmd]
