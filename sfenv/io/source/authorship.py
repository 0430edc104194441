"""Who last changed each file of a git project: the components index of a git environment.

One `git log --name-only` walk from the commit back, stopped as soon as every wanted file has
been seen (or after `max_commits`); a file's entry is its last commit's author and date,
mapped to the components the file holds. Files never seen keep no entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sfenv.io.store.gitplumbing import Git

MAX_COMMITS = 5000


def last_changes(git_dir: Path, commit: str, paths: Iterable[str], *,
                 max_commits: int = MAX_COMMITS) -> dict[str, tuple[str, str]]:
    """path -> (ISO date, author name) of the last commit touching it."""
    wanted = set(paths)
    if not wanted:
        return {}
    out = Git(git_dir).run(["log", "--no-renames", "-z", "--format=%x01%aI%x09%an",
                            "--name-only", f"--max-count={max_commits}", commit])
    found: dict[str, tuple[str, str]] = {}
    for record in out.split(b"\x01")[1:]:
        header, _, names = record.partition(b"\0")
        date, _, author = header.decode("utf-8", "replace").partition("\t")
        for raw in names.split(b"\0"):
            name = raw.strip(b"\n").decode("utf-8", "surrogateescape")
            if name in wanted and name not in found:
                found[name] = (date, author)
        if len(found) == len(wanted):
            break
    return found


def index_entries(owners: Mapping[str, list[str]], changes: Mapping[str, tuple[str, str]]
                  ) -> dict[str, dict[str, str]]:
    """"Type:Name" -> FileProperties-like entry from its files' latest change."""
    entries: dict[str, dict[str, str]] = {}
    for key, files in sorted(owners.items()):
        seen = [changes[f] for f in files if f in changes]
        if not seen:
            continue
        date, author = max(seen)
        entries[key] = {"lastModifiedDate": date, "lastModifiedByName": author}
    return entries
