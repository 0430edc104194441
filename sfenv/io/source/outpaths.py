"""The one output-path check of every writer: export, delta, and (for `release/`) build and
checklist files.

Why: what gets written comes from content sfenv does not control (a pull-request branch, an
org's reply), and a name such as `../../../../ESCAPED` or a symlinked `force-app/main/default`
must not make sfenv write outside the folder the user named. A relative path is accepted when
it has no empty, `.` or `..` segment, is not absolute, and no folder on its way below the
destination (nor the file itself) is a symlink; files are then opened without following
links. Refusals are one-line `ConfigError`s (exit 2) naming the path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from sfenv.errors import ConfigError


def check_relative(rel: str, what: str = "output") -> str:
    """`rel` when it is a plain relative path (no absolute start, drive, `..`, `.`, empty
    segment or backslash); ConfigError otherwise."""
    parts = rel.split("/")
    if (not rel or rel.startswith("/") or "\\" in rel or "\0" in rel
            or (len(parts[0]) > 1 and parts[0][1] == ":")
            or any(p in ("", ".", "..") for p in parts)):
        raise ConfigError(f"{rel}: not a path inside the {what} folder (absolute, '..' or empty "
                          "segment); refused")
    return rel


class SafeWriter:
    """Writes files below `dest` only. Folders checked once are remembered, so writing n files
    costs O(n) checks, not a walk per file."""

    def __init__(self, dest: Path, what: str = "output") -> None:
        self.dest = Path(dest)
        self.what = what
        self._checked: set[Path] = set()

    def target(self, rel: str) -> Path:
        """The path `rel` below the destination, refused when it would leave it."""
        check_relative(rel, self.what)
        path = self.dest / rel
        folder = self.dest
        for part in rel.split("/")[:-1]:
            folder = folder / part
            if folder in self._checked:
                continue
            if folder.is_symlink():
                raise ConfigError(f"{folder}: a symbolic link inside the {self.what} folder; "
                                  "refusing to write through it")
            if folder.exists() and not folder.is_dir():
                raise ConfigError(f"{folder}: not a folder")
            self._checked.add(folder)
        if path.is_symlink():
            raise ConfigError(f"{path}: a symbolic link; refusing to write through it")
        return path

    def folder(self, rel: str) -> Path:
        """A folder below the destination (checked like a file's folders), created if absent."""
        path = self.target(rel + "/x").parent
        self.mkdirs(path)
        return path

    def mkdirs(self, folder: Path) -> None:
        if folder.is_dir() and not folder.is_symlink():
            return
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder
        while probe != self.dest and probe != probe.parent:
            if probe.is_symlink():
                raise ConfigError(f"{probe}: a symbolic link inside the {self.what} folder; "
                                  "refusing to write through it")
            probe = probe.parent

    def write(self, rel: str, data: bytes) -> Path:
        path = self.target(rel)
        self.mkdirs(path.parent)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as err:
            raise ConfigError(f"{path}: cannot write: {err.strerror}") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path

    def write_all(self, files: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> list[Path]:
        items = files.items() if isinstance(files, Mapping) else files
        pairs = sorted(items)
        for rel, _data in pairs:  # refuse before writing anything
            self.target(rel)
        return [self.write(rel, data) for rel, data in pairs]


def check_destination(dest: Path, what: str = "output") -> Path:
    """The destination folder itself: created when absent; a path that exists and is not a
    folder is refused."""
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest}: not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    return dest
