"""The retrieve chunk size that worked for each org, remembered between pulls.

A chunk halved after LIMIT_EXCEEDED stays halved for that org's next pull (stored in the
repository's git directory, `sfenv/chunk-size.json`, keyed by org id)."""

from __future__ import annotations

import json
from pathlib import Path


def _path(git_dir: Path) -> Path:
    return git_dir / "sfenv" / "chunk-size.json"


def remembered(git_dir: Path) -> dict[str, int]:
    """org id -> size; a file that is unreadable or not such a map is a cache to ignore."""
    try:
        data = json.loads(_path(git_dir).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {org: size for org, size in data.items()
            if isinstance(size, int) and not isinstance(size, bool)}


def chunk_size(git_dir: Path, org_id: str, configured: int) -> int:
    """The configured size, or the smaller size remembered for this org."""
    return min(configured, remembered(git_dir).get(org_id, configured))


def remember(git_dir: Path, org_id: str, size: int) -> None:
    path = _path(git_dir)
    path.parent.mkdir(exist_ok=True)
    memory = remembered(git_dir)
    memory[org_id] = size
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(memory, indent=1, sort_keys=True))
    tmp.replace(path)
