"""Small pieces every command shares: the Workspace (--config), JSON output, progress."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from sfenv.config import Config, load_config
from sfenv.core.metadata.overlays import project_registry
from sfenv.core.metadata.registry import Registry
from sfenv.core.metadata.typenames import check_config_types
from sfenv.progress import NullProgress, Progress, for_terminal

if TYPE_CHECKING:
    from sfenv.io.store.snapshots import SnapshotStore

WORKSPACES = "workspaces"  # the root context's cache: one Workspace per sfenv.yml per run


@dataclass
class Workspace:
    """What a command works on, built once per run: sfenv.yml, the type registry the project
    sees, and the metadata repository (opened on first use: a refused config creates nothing)."""

    config: Config
    registry: Registry

    @cached_property
    def store(self) -> SnapshotStore:
        # imported here, not at the top: git and the snapshot code cost ~0.3 s that
        # `sfenv --help` and every refused config would pay (no cycle, no upward import)
        from sfenv.io.store.snapshots import SnapshotStore

        return SnapshotStore(self.config.root)

    @classmethod
    def open(cls, config_path: str | None) -> Workspace:
        """Read sfenv.yml, build the project's registry (the shipped one with sfenv.yml's
        `metadata_types:` laid over it), then check the type names sfenv.yml gives against it
        (exit 2 naming file and line)."""
        config = load_config(config_path)
        registry = project_registry(config)
        check_config_types(config, registry)
        return cls(config, registry)


def config_option(fn: Callable) -> Callable:
    return click.option("--config", "config_path", type=click.Path(dir_okay=False),
                        default=None, help="Path to sfenv.yml (default: ./sfenv.yml or a parent's).")(fn)


def workspace(config_path: str | None) -> Workspace:
    """The run's Workspace for `config_path`, built on first use and kept by the root command's
    context (a command that loads twice gets the same one, and warnings print once). Likely
    mistakes of sfenv.yml (allowed, so warned: an environment off the path) go to stderr,
    where JSON output is safe."""
    ctx = click.get_current_context(silent=True)
    cache: dict[str | None, Workspace] | None = None
    if ctx is not None:
        root = ctx.find_root()
        if isinstance(root.obj, dict):
            cache = root.obj.setdefault(WORKSPACES, {})
    if cache is not None and config_path in cache:
        return cache[config_path]
    found = Workspace.open(config_path)
    for warning in found.config.warnings:
        click.echo(f"warning: {warning}", err=True)
    if cache is not None:
        cache[config_path] = found
    return found


def load(config_path: str | None) -> Config:
    """sfenv.yml of the run's Workspace (commands that need only the configuration)."""
    return workspace(config_path).config


def emit_json(value: Any) -> None:
    """One JSON document on stdout (stable key order, no secrets: callers pass results only)."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@contextmanager
def progress_shown(as_json: bool, quiet: bool = False) -> Iterator[Progress]:
    """Progress for the duration of a command, closed (bars stopped) whatever happens."""
    progress = progress_for(as_json, quiet)
    try:
        yield progress
    finally:
        progress.close()


def progress_for(as_json: bool, quiet: bool = False) -> Progress:
    """No progress noise with --json on stdout's consumers; bars on a terminal; lines in CI."""
    return NullProgress() if quiet else for_terminal()


class GroupArgument(click.Argument):
    """A group's own argument (`sfenv checklist [TRAIN]`, `sfenv backup [ENV]`): shown in the
    group's usage line, not in its subcommands' (`sfenv backup list`, not `backup [ENV] list`),
    where it would read as an argument the subcommand takes."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        # click asks with the subcommand's context when it writes a subcommand's usage line
        return super().get_usage_pieces(ctx) if isinstance(ctx.command, click.Group) else []
