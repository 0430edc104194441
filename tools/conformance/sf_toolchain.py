"""The real clients for the conformance suite: Node 22, the Salesforce CLI and jsforce, installed
from npm into a cache folder outside the repository (default `~/.cache/sfenv-conformance`,
override with `SFENV_CONFORMANCE_CACHE`). Versions are pinned: the suite asserts on what these
versions do. A machine whose Node is older than 22 gets the `node@22` npm package.

The CLI's current release (`@salesforce/cli@latest`) installs next to the pinned one, in the
cache's `latest/` folder, so the suite can run with both; `cli_version()` says which release
that was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SF_CLI = "@salesforce/cli@2.146.3"
SF_CLI_LATEST = "@salesforce/cli@latest"
JSFORCE = "jsforce@3.10.16"
NODE = "node@22"
MIN_NODE_MAJOR = 22
INSTALL_TIMEOUT_S = 1200


class Unreachable(Exception):
    """npm's registry cannot be reached: the suite is skipped, not failed."""


@dataclass(frozen=True)
class Toolchain:
    cache: Path
    node_bin: Path | None      # folder holding the node to put first on PATH (None: system node)

    @property
    def sf(self) -> Path:
        return self.cache / "node_modules" / ".bin" / "sf"

    @property
    def node_modules(self) -> Path:
        return self.cache / "node_modules"

    def path_env(self) -> str:
        parts = [str(self.cache / "node_modules" / ".bin")]
        if self.node_bin is not None:
            parts.insert(0, str(self.node_bin))
        return os.pathsep.join([*parts, os.environ.get("PATH", "")])

    def node(self) -> str:
        return str(self.node_bin / "node") if self.node_bin else (shutil.which("node") or "node")

    def cli_version(self) -> str:
        """The installed Salesforce CLI's version ("2.146.3"), or "unknown"."""
        try:
            data = json.loads((self.node_modules / "@salesforce" / "cli" / "package.json")
                              .read_text())
        except (OSError, ValueError):
            return "unknown"
        return str(data.get("version") or "unknown")


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "sfenv-conformance"
    return Path(os.environ.get("SFENV_CONFORMANCE_CACHE") or default)


def _node_major(node: str) -> int:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    text = out.stdout.strip().lstrip("v")
    return int(text.split(".")[0]) if text.split(".")[0].isdigit() else 0


def _wanted(needs_node: bool, cli: str = SF_CLI) -> list[str]:
    return [cli, JSFORCE] + ([NODE] if needs_node else [])


def _installed(cache: Path) -> list[str]:
    try:
        return json.loads((cache / "installed.json").read_text())
    except (OSError, ValueError):
        return []


def ensure(log=print, cli: str = SF_CLI) -> Toolchain:
    """Install what is missing (Unreachable when npm cannot reach its registry). `cli`: the
    pinned release, or SF_CLI_LATEST (installed once into `latest/`, kept until removed)."""
    cache = cache_dir() if cli == SF_CLI else cache_dir() / "latest"
    system_node = shutil.which("node")
    needs_node = system_node is None or _node_major(system_node) < MIN_NODE_MAJOR
    wanted = _wanted(needs_node, cli)
    chain = Toolchain(cache, cache / "node_modules" / "node" / "bin" if needs_node else None)
    if all(w in _installed(cache) for w in wanted) and chain.sf.exists():
        return chain
    npm = shutil.which("npm")
    if npm is None:
        raise Unreachable("npm is not installed")
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "package.json").exists():
        (cache / "package.json").write_text('{"name": "sfenv-conformance", "private": true}\n')
    log(f"conformance: installing {' '.join(wanted)} into {cache} (a few minutes, once)")
    try:
        ping = subprocess.run([npm, "ping"], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise Unreachable("npm ping timed out") from None
    if ping.returncode != 0:
        raise Unreachable((ping.stderr or ping.stdout).strip().splitlines()[-1:] or ["npm ping"])
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", *wanted],
                          cwd=cache, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        if "ENOTFOUND" in tail or "ECONNREFUSED" in tail or "ETIMEDOUT" in tail:
            raise Unreachable(tail)
        raise RuntimeError(f"npm install failed:\n{tail}")
    (cache / "installed.json").write_text(json.dumps(wanted) + "\n")
    return chain
