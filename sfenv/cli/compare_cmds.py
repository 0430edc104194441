"""`sfenv diff`, `sfenv status`, `sfenv sync-point`: compare snapshots along the path."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from sfenv.cli.common import config_option, emit_json, load, workspace
from sfenv.errors import EXIT_DIFF, ConfigError, StoreError

if TYPE_CHECKING:
    from rich.console import Console

    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.train.model import BuiltTrain


def _env_of(spec: str, config: Config) -> str | None:
    """The environment a spec names (`qa`, `qa@{yesterday}`), or None for tags and commits."""
    name = spec.split("@{", 1)[0]
    return name if name in config.environments else None


def _output(as_json: bool, markdown: bool, json_doc: Callable[[], object],
            md_text: Callable[[], str], plain_text: Callable[[], str],
            rich_print: Callable[[Console], None]) -> None:
    if as_json:
        emit_json(json_doc())
    elif markdown:
        click.echo(md_text(), nl=False)
    elif sys.stdout.isatty():
        from rich.console import Console

        rich_print(Console())
    else:
        click.echo(plain_text(), nl=False)


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--type", "types", multiple=True, help="Only this metadata type (repeatable); "
              "a parent type also selects its children.")
@click.option("--name", "names", multiple=True, help="Only full names matching this glob.")
@click.option("--json", "as_json", is_flag=True, help="JSON (schema sfenv.diff/1).")
@click.option("--markdown", is_flag=True, help="Markdown (for pull requests and notes).")
@click.option("--fail-on-diff", is_flag=True, help="Exit 1 when there are differences.")
@click.option("--fresh", is_flag=True, help="Pull environments named as A or B first.")
@config_option
def diff_cmd(a: str, b: str, types: tuple[str, ...], names: tuple[str, ...], as_json: bool,
             markdown: bool, fail_on_diff: bool, fresh: bool, config_path: str | None) -> None:
    """Component and element differences going from A to B.

    A and B are environments (their latest snapshot), ENV@{date} or ENV@{n}, tags
    (backup/..., release/...) or commits. Values declared per environment in sfenv.yml are
    neutralized; .sfenvignore (Type:Name globs) hides noise.

    \b
    Example:
      sfenv diff qa prod --type CustomField --fail-on-diff
      sfenv diff prod@{2026-11-01} prod --json
    """
    from sfenv.core.compare.diff import diff_commits
    from sfenv.core.compare.filters import ComponentFilter
    from sfenv.core.compare.neutralize import Neutralizer
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.views import diff as diff_render

    config = load(config_path)
    env_a, env_b = _env_of(a, config), _env_of(b, config)
    if fresh:
        from sfenv.services.pull import pull_env

        for spec, env in ((a, env_a), (b, env_b)):
            if env and spec == env:
                pull_env(config, env, registry=workspace(config_path).registry)
    store = SnapshotStore(config.root)
    train_a, train_b = _train_of(store, a), _train_of(store, b)
    if train_a and train_b:
        raise click.UsageError("compare a train with an environment (sfenv diff release/R1 qa), "
                               "not two trains")
    # a train is its package, not a whole org: compare the train's components as built (their
    # source snapshot) with the environment's, and nothing else
    commit_a = train_a.source_commit if train_a else store.resolve(a)
    commit_b = train_b.source_commit if train_b else store.resolve(b)
    env_a = train_a.source if train_a and train_a.source in config.environments else env_a
    env_b = train_b.source if train_b and train_b.source in config.environments else env_b
    neutralizer = Neutralizer.for_envs(config.environments.get(env_a) if env_a else None,
                                       config.environments.get(env_b) if env_b else None)
    diff = diff_commits(store, commit_a, commit_b, registry=workspace(config_path).registry,
                        neutralize=neutralizer, a_name=a, b_name=b)
    train = train_a or train_b
    if train is not None:
        ids = set(train.components) | set(train.deletes) | set(train.manual)
        diff.changes = [c for c in diff.changes if str(c.component) in ids
                        or (c.parent is not None and str(c.parent) in ids)]
        if not as_json:
            from sfenv.core.compare.counts import counted, package

            click.echo(f"release/{train.name}: compared as built from {train.source} "
                       f"({train.source_commit[:10]}), its "
                       f"{package(len(train.components) + len(train.deletes), len(train.deletes))}"
                       f" and {counted(len(train.manual), 'manual change')} only", err=True)
    diff.changes = ComponentFilter.build(types, names, root=config.root).apply(diff.changes)
    _output(as_json, markdown, lambda: diff_render.diff_json(diff),
            lambda: diff_render.diff_markdown(diff), lambda: diff_render.diff_text(diff),
            lambda console: diff_render.print_diff_rich(diff, console))
    if fail_on_diff and diff.changes:
        sys.exit(EXIT_DIFF)


def _train_of(store: SnapshotStore, spec: str) -> BuiltTrain | None:
    """The built train a `release/NAME` spec names, else None (tags of other kinds, envs)."""
    if not spec.startswith("release/"):
        return None
    from sfenv.errors import ReleaseError
    from sfenv.services.train.train import load_train

    try:
        return load_train(store, spec[len("release/"):])
    except ReleaseError:
        return None


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="JSON (schema sfenv.status/1).")
@click.option("--markdown", is_flag=True, help="Markdown.")
@click.option("--fail-on-drift", "fail_on_drift", is_flag=False, flag_value="@production",
              default=None, metavar="[ENV,...]",
              help="Exit 1 when one of these environments (comma-separated; default: the "
                   "production ones) changed outside the path: drift or conflict on a hop "
                   "into it.")
@click.option("--all", "show_all", is_flag=True,
              help="Also list the differences accepted by `sfenv sync-point` (JSON always does).")
@config_option
def status_cmd(as_json: bool, markdown: bool, fail_on_drift: str | None, show_all: bool,
               config_path: str | None) -> None:
    """Pending, drift and conflict for every hop of the promotion path.

    Three-way against the last promotion or `sfenv sync-point` when there is one, else
    two-way by lastModifiedDate. Drift into production is flagged as a change outside the
    release process, with who and when. A difference that existed before the last promotion
    keeps its class ("since before <date>"); one accepted by `sfenv sync-point` is only
    counted (listed with --all).

    `--fail-on-drift` alone fails on drift or conflict into a production environment;
    `--fail-on-drift qa,prod` on those environments.

    \b
    Example:
      sfenv status --fail-on-drift
      sfenv status --fail-on-drift uat,prod
    """
    from sfenv.core.compare.filters import ComponentFilter
    from sfenv.core.compare.status import all_status
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.refreshes import sandbox_refreshes
    from sfenv.views import status as status_render

    config = load(config_path)
    watched = _drift_envs(config, fail_on_drift) if fail_on_drift is not None else set()
    store = SnapshotStore(config.root)
    hops = all_status(store, config, filters=ComponentFilter.build(root=config.root),
                      registry=workspace(config_path).registry)
    boxes = sandbox_refreshes(store, config)
    _output(as_json, markdown, lambda: status_render.status_json(hops, boxes),
            lambda: status_render.status_markdown(hops, show_accepted=show_all,
                                                  sandboxes=boxes),
            lambda: status_render.status_text(hops, show_accepted=show_all, sandboxes=boxes),
            lambda console: status_render.print_status_rich(hops, console,
                                                            show_accepted=show_all,
                                                            sandboxes=boxes))
    if any(h.target in watched and (h.of("drift") or h.of("conflict")) for h in hops):
        sys.exit(EXIT_DIFF)


def _drift_envs(config: Config, spec: str) -> set[str]:
    """The environments `--fail-on-drift` watches: the named ones, or the production ones
    (every target of the path when none is marked production)."""
    if spec != "@production":
        names = {n.strip() for n in spec.split(",") if n.strip()}
        for name in sorted(names):
            config.env(name)  # an unknown name is a usage error (exit 2)
        return names
    prod = {name for name, env in config.environments.items() if env.production}
    return prod or {b for _a, b in config.hops()}


def check_hop(config: Config, a: str, b: str) -> None:
    """A sync point is a base of a hop of the path: anything else status would never read."""
    if (a, b) not in config.hops():
        hops = ", ".join(f"{x} → {y}" for x, y in config.hops()) or "none"
        turned = (f"; the hop goes the other way: `sfenv sync-point {b} {a}`"
                  if (b, a) in config.hops() else "")
        raise ConfigError(f"{a} → {b} is not a hop of the promotion path "
                          f"({' → '.join('/'.join(s) for s in config.stages)}); hops: {hops}"
                          f"{turned}")


@click.command("sync-point")
@click.argument("a")
@click.argument("b")
@click.option("--reason", default="", help="Why A and B are considered in sync.")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded sync point as JSON.")
@config_option
def sync_point_cmd(a: str, b: str, reason: str, as_json: bool, config_path: str | None) -> None:
    """Record A's and B's latest snapshots as the base of hop A→B for `sfenv status` (A→B must
    be a hop of the promotion path: exit 2 otherwise).

    Every difference between them now is accepted: `sfenv status` no longer reports it as
    pending, drift or conflict, but counts it as accepted (listed by `--all` and in JSON)
    until either side changes it again.

    \b
    Example:
      sfenv sync-point qa prod --reason "after the March refresh"
    """
    from sfenv.core.compare.status import sync_point, sync_ref
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.records.sync_points import record_sync_point

    config = load(config_path)
    config.env(a)
    config.env(b)
    check_hop(config, a, b)
    store = SnapshotStore(config.root)
    heads = {env: store.head(env) for env in (a, b)}
    missing = [env for env, head in heads.items() if head is None]
    if missing:
        raise StoreError(f"no snapshot of {', '.join(missing)} yet: run "
                         + " and ".join(f"`sfenv pull {m}`" for m in missing))
    commit = record_sync_point(store, a, b, heads[a], heads[b], reason,  # type: ignore[arg-type]
                               accept=True, config=config,
                               registry=workspace(config_path).registry)
    doc = sync_point(store, a, b) or {}
    if as_json:
        emit_json({"ref": sync_ref(a, b), "commit": commit, **doc})
    else:
        click.echo(f"sync point {a} → {b}: {heads[a][:12]} / {heads[b][:12]} "  # type: ignore[index]
                   f"recorded at {sync_ref(a, b)}; "
                   f"{len(doc.get('differences') or {})} current differences accepted")


COMMANDS = [diff_cmd, status_cmd, sync_point_cmd]
