"""`sfenv demo`: the whole release flow on three local orgs (`make demo` runs it)."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="demo-out",
              show_default=True, help="Scratch folder for the orgs, snapshots and reports "
              "(emptied first).")
@click.option("--short", is_flag=True, help="Skip the optional steps (ticking the checklist).")
def demo_cmd(out_dir: str, short: bool) -> None:
    """Start three seeded local orgs (dev, qa, prod) and run a release through them with the
    real CLI: pull, status, plan, build, checklist, promote to qa and prod, report.

    Each step prints its command and output; a failing step stops the demo (exit code 1).

    \b
    Example:
      sfenv demo --out demo-out && open demo-out/report.html
    """
    from sfenv.cli.local.demo import run_demo

    started = time.monotonic()
    run_demo(Path(out_dir), short=short, on_line=lambda line: click.echo(line))
    click.echo(f"({time.monotonic() - started:.0f}s in all)")


COMMANDS = [demo_cmd]
