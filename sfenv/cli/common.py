"""Small pieces every command shares: the --config option, JSON output, progress."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from sfenv.config import load_config
from sfenv.progress import NullProgress, Progress, for_terminal


def config_option(fn: Callable) -> Callable:
    return click.option("--config", "config_path", type=click.Path(dir_okay=False),
                        default=None, help="Path to sfenv.yml (default: ./sfenv.yml or a parent's).")(fn)


def load(config_path: str | None):
    """sfenv.yml, with its likely mistakes (allowed, so warned: an environment off the path)
    on stderr, where JSON output is safe, for every command."""
    config = load_config(config_path)
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    return config


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
