"""Diffs kept on disk, keyed by the two tree ids: `sfenv diff`, `release plan`, `release build`
and the report of the same two snapshots compute the difference once.

Snapshots are immutable and a tree id names its content, so a diff of two trees (with one
neutralizer, by the same code) never goes stale. Entries live under the store's git
directory (`<git dir>/sfenv/diff-cache/`), which no clone or push copies; they are written
atomically and the oldest are dropped beyond `MAX_ENTRIES`. They are pickles: whoever can
write a repository's git directory can already run code through its hooks, so they are no
new trust. An unreadable entry is ignored and recomputed.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path
from stat import S_ISREG

from sfenv import __version__
from sfenv.core.compare.model import Diff

FORMAT = 1
MAX_ENTRIES = 64


def cache_dir(store: object) -> Path | None:
    git_dir = getattr(store, "git_dir", None)
    return Path(git_dir) / "sfenv" / "diff-cache" if git_dir else None


@cache
def code_fingerprint() -> str:
    """The code and type knowledge a diff depends on (compare and metadata, data included):
    an entry written by other code is never read."""
    return tree_fingerprint(Path(__file__).resolve().parent.parent, ("compare", "metadata"))


def tree_fingerprint(root: Path, folders: tuple[str, ...]) -> str:
    """Each file under `root/<folder>` by its path, size and modification time in
    nanoseconds, which any edit, install or checkout changes (reading every file cost more
    than a small diff)."""
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}".encode())
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix == ".pyc":
                continue
            info = path.stat()
            if S_ISREG(info.st_mode):
                digest.update(f"{path.relative_to(root).as_posix()}\0{info.st_size}\0"
                              f"{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def entry_key(tree_a: str, tree_b: str, fingerprint: str) -> str:
    return hashlib.sha256(f"{code_fingerprint()}\0{tree_a}\0{tree_b}\0{fingerprint}"
                          .encode()).hexdigest()


def load(store: object, key: str) -> Diff | None:
    folder = cache_dir(store)
    if folder is None:
        return None
    try:
        value = pickle.loads((folder / key).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError):
        return None
    return value if isinstance(value, Diff) else None


def save(store: object, key: str, diff: Diff) -> None:
    folder = cache_dir(store)
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(pickle.dumps(diff, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, folder / key)
        entries = sorted((p for p in folder.iterdir() if not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
    except OSError:
        return  # a cache that cannot be written is only slower
