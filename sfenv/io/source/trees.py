"""The files of a folder or of a git tree-ish, as a mapping of paths to bytes.

Only regular files are read: symlinks and submodules of a repository are skipped, and a
folder walk never follows links or enters `.git` or `node_modules`.
"""

from __future__ import annotations

import os
from pathlib import Path

from sfenv.errors import ConfigError, StoreError
from sfenv.io.store.gitplumbing import Git

SKIPPED_DIRS = {".git", "node_modules", ".sfdx", ".sf"}


def read_dir(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        raise ConfigError(f"{root}: no such folder")
    out: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def git_dir_of(repo: Path) -> Path:
    """The git directory of a repository folder (work tree or bare)."""
    for candidate in (repo / ".git", repo):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    if (repo / ".git").is_file():  # a worktree: "gitdir: <path>"
        text = (repo / ".git").read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            return (repo / text.split(":", 1)[1].strip()).resolve()
    raise ConfigError(f"{repo}: not a git repository")


def resolve_ref(repo: Path, ref: str) -> str:
    git = Git(git_dir_of(repo))
    if ref.startswith("-"):
        raise ConfigError(f"{repo}: {ref!r} is not a branch, tag or commit")
    out = git.ok(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
    if not out:
        raise ConfigError(f"{repo}: no branch, tag or commit {ref!r}")
    return out.decode().strip()


def git_listing(repo: Path, commit: str) -> dict[str, str]:
    """path -> blob sha of the regular files of `commit`."""
    git = Git(git_dir_of(repo))
    try:
        out = git.run(["ls-tree", "-r", "-z", "--full-tree", commit])
    except StoreError as err:
        raise ConfigError(f"{repo}: cannot read {commit}: {err}") from None
    listing: dict[str, str] = {}
    for rec in out.split(b"\0"):
        if not rec:
            continue
        info, _, path = rec.partition(b"\t")
        mode, kind, sha = info.split()
        if kind == b"blob" and mode in (b"100644", b"100755"):
            listing[path.decode("utf-8", "surrogateescape")] = sha.decode()
    return listing


def read_git(repo: Path, commit: str, wanted=None) -> dict[str, bytes]:
    """The regular files of `commit` (only paths for which `wanted(path)` is true, if given)."""
    listing = git_listing(repo, commit)
    if wanted is not None:
        listing = {p: s for p, s in listing.items() if wanted(p)}
    blobs = Git(git_dir_of(repo)).read_blobs(list(listing.values()))
    return {p: blobs[s] for p, s in listing.items()}
