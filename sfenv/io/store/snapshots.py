"""Snapshots as git commits: an environment's state is the commit at `refs/heads/sfenv/<env>`.

Writes never touch a working tree or the repository's own index: blobs go in with one
`git fast-import` (or are skipped when the parent tree already holds them), the tree is built in
a temporary index (`GIT_INDEX_FILE`, `read-tree` of the base + `update-index --index-info`),
then `write-tree`, `commit-tree` and `update-ref <ref> <new> <expected old>`, so a ref only
moves when the whole snapshot is stored and never over a concurrent writer's commit.

A small write (a release log entry, a sync point, an incremental pull of a few files) edits
only the folders it touches: their tree objects are read by the store's reader, and the new
blobs and trees are written as loose objects by this process (what git itself writes), so
such a commit costs two git processes (`commit-tree`, `update-ref`) instead of seven.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import time
import uuid
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

import git as gitpython
from gitdb.base import IStream
from gitdb.db.loose import LooseObjectDB

from sfenv.core.compare.model import TreeChange
from sfenv.errors import StoreError
from sfenv.io.store.gitplumbing import ZERO, Git, blob_sha, parse_tree_record, tree_entries
from sfenv.io.store.stream import BlobId, BlobSink

SNAPSHOT_PREFIX = "refs/heads/sfenv/"
DEFAULT_NAME = "sfenv"
DEFAULT_EMAIL = "sfenv@localhost"
_HEX = re.compile(r"^[0-9a-fA-F]{4,40}$")
_AT = re.compile(r"^(?P<name>.+)@\{(?P<when>[^}]+)\}$")
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Writes of up to this many paths edit the touched folders' tree objects directly (two git
# processes a commit); larger ones build the tree in a temporary index (one process per step,
# whatever the size).
SMALL_WRITE = 256
_TREE_MODE = b"40000"
# Variables that move git's object store elsewhere: with them set, writes go through git.
_OBJECT_ENV = ("GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH")


class _NotSimple(Exception):
    """A small write git must judge (a file where a folder is, an unusual path): the
    temporary-index path takes it, with git's own checks and errors."""


@dataclass(frozen=True)
class EnvLock:
    """A held per-environment lock. Pass it to an operation that must run under it (a
    promotion's backup and verification pull: `pull_env(..., lock=held)`), which then does
    not take the lock again."""

    env: str
    path: Path
    token: str
    command: str

    def still_held(self) -> bool:
        try:
            return json.loads(self.path.read_text()).get("token") == self.token
        except (OSError, ValueError):
            return False


@dataclass(frozen=True)
class LogEntry:
    """One snapshot in an environment's history."""

    commit: str
    parents: tuple[str, ...]
    date: str  # committer date, ISO 8601
    subject: str
    meta: dict


def _check_path(path: str) -> None:
    parts = path.split("/")
    if (not path or path.startswith("/") or "\\" in path or "\0" in path or "\n" in path
            or any(p in ("", ".", "..") for p in parts) or parts[0] == ".git"):
        raise StoreError(f"refusing to store a file with an unsafe path: {path!r}")


def _simple_path(raw: bytes) -> bool:
    """A path every git accepts in an index as it is (no `.git` look-alike, no odd part)."""
    for part in raw.split(b"/"):
        low = part.lower()
        if (part in (b"", b".", b"..") or low.startswith((b".git", b"git~")) or b"\\" in part
                or b"\0" in part or b"\n" in part or part.endswith((b" ", b"."))):
            return False
    return True


def _check_env(env: str) -> None:
    if not _ENV_NAME.match(env) or env.endswith(".lock"):
        raise StoreError(f"not a valid environment name for a snapshot ref: {env!r}")


def _create_whole(path: Path, data: bytes) -> bool:
    """Create `path` holding `data`, or return False if it exists. The file never exists
    empty: the data is written to a file of this process first and hard-linked into place
    (atomic, and failing when the name is taken), so a process killed at any instant leaves
    either no lock or a lock naming its pid, which the next run takes over."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: exclusive create, then write
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _init_repo(repo_dir: Path) -> gitpython.Repo:
    """`git init` the metadata repository; when two first pulls race, the loser opens the
    repository the winner made."""
    try:
        repo_dir.mkdir(parents=True, exist_ok=True)
        return gitpython.Repo.init(repo_dir)
    except (OSError, gitpython.GitCommandError) as err:
        for _ in range(40):
            try:
                return gitpython.Repo(repo_dir)
            except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
                time.sleep(0.05)
        reason = err.strerror if isinstance(err, OSError) else "git init failed"
        raise StoreError(f"cannot create the metadata repository at {repo_dir}: "
                         f"{reason}") from None


class SnapshotStore:
    """The metadata repository: snapshots, tags, sync points and other sfenv refs."""

    def __init__(self, repo_dir: Path | str) -> None:
        repo_dir = Path(repo_dir)
        try:
            self.repo = gitpython.Repo(repo_dir)
        except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
            self.repo = _init_repo(repo_dir)
        self.repo_dir = repo_dir
        self.git_dir = Path(self.repo.common_dir)
        self.git = Git(self.git_dir, self._identity_env())
        self._loose: LooseObjectDB | None = None
        self._tree_of: dict[str, str] = {}
        self._files: dict[str, dict[str, str]] = {}
        # Derived immutable data keyed by tree ids (compare's diffs); lives as long as the store.
        self.cache: dict[object, object] = {}

    def _identity_env(self) -> dict[str, str]:
        """sfenv's identity unless the repository's own config names one (snapshots are
        machine-made: a developer's global identity is not who changed the org). Read from
        the config file itself: no git process per store."""
        env: dict[str, str] = {}
        try:
            with self.repo.config_reader("repository") as config:
                name = str(config.get_value("user", "name", "")).strip()
                email = str(config.get_value("user", "email", "")).strip()
        except (OSError, ValueError) as err:
            raise StoreError(f"cannot read {self.git_dir / 'config'}: {err}") from None
        if not name:
            env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = DEFAULT_NAME
        if not email:
            env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = DEFAULT_EMAIL
        return env

    def close(self) -> None:
        """End the store's long-lived git reader (also done when the store is collected)."""
        self.git.close()

    # -- refs and resolution -----------------------------------------------------------------

    @staticmethod
    def env_ref(env: str) -> str:
        return SNAPSHOT_PREFIX + env

    def ref_commit(self, ref: str) -> str | None:
        """The commit a ref points at, or None when it does not exist."""
        return self.git.resolve(f"{ref}^{{commit}}")

    def ref_history(self, ref: str, limit: int = 1000) -> list[str]:
        """The commits of a record ref (each record's parent is the one before it), newest
        first; [] when the ref does not exist."""
        if self.ref_commit(ref) is None:
            return []
        out = self.git.run(["log", "--first-parent", f"-n{limit}", "--format=%H", ref])
        return out.decode().split()

    def head(self, env: str) -> str | None:
        """The latest snapshot of `env`, or None before the first pull."""
        _check_env(env)
        return self.ref_commit(self.env_ref(env))

    def envs(self) -> list[str]:
        """Environments that have snapshots."""
        out = self.git.run(["for-each-ref", "--format=%(refname)", SNAPSHOT_PREFIX])
        return sorted(line[len(SNAPSHOT_PREFIX):] for line in out.decode().splitlines())

    def resolve(self, spec: str) -> str:
        """env | ENV@{date} | ENV@{n} | tag (backup/..., release/...) | sha | full ref -> commit."""
        spec = spec.strip()
        at = _AT.match(spec)
        if at:
            return self._resolve_at(spec, at.group("name"), at.group("when").strip())
        if _ENV_NAME.match(spec):
            found = self.ref_commit(self.env_ref(spec))
            if found:
                return found
        candidates = [f"refs/tags/{spec}", spec] if not spec.startswith("refs/") else [spec]
        for cand in candidates:
            if cand.startswith("-"):
                break
            found = self.ref_commit(cand)
            if found:
                return found
        known = ", ".join(self.envs()) or "none yet"
        kind = "commit" if _HEX.match(spec) else "environment, tag or commit"
        raise StoreError(f"unknown snapshot {spec!r}: no such {kind} "
                         f"(environments with snapshots: {known})")

    def _resolve_at(self, spec: str, name: str, when: str) -> str:
        base = self.resolve(name)
        if when.isdigit():  # ENV@{n}: the n-th snapshot before the latest
            found = self.ref_commit(f"{base}~{int(when)}")
            if not found:
                raise StoreError(f"{spec}: {name} has fewer than {int(when) + 1} snapshots")
            return found
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
            when = f"{when} 23:59:59"  # a bare date means "as of the end of that day"
        out = self.git.run(["rev-list", "-1", "--first-parent", f"--before={when}", base]).strip()
        if not out:
            raise StoreError(f"{spec}: {name} has no snapshot as old as {when!r}")
        return out.decode()

    # -- reading ----------------------------------------------------------------------------

    def tree_of(self, commit: str) -> str:
        tree = self._tree_of.get(commit)
        if tree is None:
            tree = self.git.resolve(f"{commit}^{{tree}}")
            if not tree:
                raise StoreError(f"unknown snapshot commit {commit!r}")
            self._tree_of[commit] = tree
        return tree

    def files(self, commit: str) -> dict[str, str]:
        """path -> blob sha for the whole tree (cached by tree id; treat as read-only)."""
        tree = self.tree_of(commit)
        cached = self._files.get(tree)
        if cached is None:
            out = self.git.run(["ls-tree", "-r", "-z", "--full-tree", tree])
            cached = {}
            for rec in out.split(b"\0"):
                if not rec:
                    continue
                info, _, path = rec.partition(b"\t")
                cached[path.decode("utf-8", "surrogateescape")] = info.split()[2].decode()
            self._files[tree] = cached
        return cached

    def files_under(self, commit: str, prefixes: Iterable[str]) -> dict[str, str]:
        """path -> blob sha of the files whose path starts with one of `prefixes` (plain string
        prefixes: `classes/Foo` gives `classes/Foo.cls`, `classes/Foo.cls-meta.xml`, and
        `classes/FooBar.cls` too; `objects/` a whole folder; an exact path its file).

        Only the folders holding the prefixes are read (as tree objects, by the store's
        long-lived reader; one `ls-tree -r` for the sub-folders that match), not the whole
        tree: what a diff of a few changed files needs from trees of 85,000 files. Answered from `files` when it is cached."""
        wanted = sorted(set(prefixes))
        if not wanted:
            return {}
        tree = self.tree_of(commit)
        cached = self._files.get(tree)
        if cached is not None:
            return {p: s for p, s in cached.items() if p.startswith(tuple(wanted))}
        folders = sorted({p.rpartition("/")[0] for p in wanted})
        # a folder holds up to ~20,000 entries at 60,000 components: decode only the matches
        records = self.git.folder_records(tree, folders)
        keyed = sorted((rec[rec.index(b"\t") + 1:], rec) for rec in records)
        paths = [path for path, _ in keyed]
        found: dict[str, str] = {}
        subtrees: list[str] = []
        for prefix in wanted:
            start = prefix.encode("utf-8", "surrogateescape")
            for i in range(bisect_left(paths, start), len(paths)):
                if not paths[i].startswith(start):
                    break
                path, kind, sha = parse_tree_record(keyed[i][1])
                if kind == "blob":
                    found[path] = sha
                elif kind == "tree":
                    subtrees.append(path)
        for path, kind, sha in self.git.list_tree(tree, sorted(set(subtrees)), recursive=True):
            if kind == "blob":
                found[path] = sha
        return found

    def read_blob(self, sha: str) -> bytes:
        return self.git.read_blobs([sha])[sha]

    def read_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Many blobs with one `git cat-file --batch` process."""
        return self.git.read_blobs(list(shas))

    def read_file(self, commit: str, path: str) -> bytes | None:
        sha = self.files_under(commit, [path]).get(path)
        return None if sha is None else self.read_blob(sha)

    def changed(self, a: str, b: str) -> list[TreeChange]:
        """Files that differ between commits (or trees) a and b, without rename detection."""
        out = self.git.run(["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id",
                            self.tree_of(a), self.tree_of(b)])
        recs = out.split(b"\0")
        changes: list[TreeChange] = []
        for i in range(0, len(recs) - 1, 2):
            info = recs[i].decode().split()
            if len(info) < 5:
                continue
            old = None if info[2] == ZERO else info[2]
            new = None if info[3] == ZERO else info[3]
            changes.append(TreeChange(recs[i + 1].decode("utf-8", "surrogateescape"), old, new))
        return changes

    def message(self, commit: str) -> str:
        """The commit's message as `git log -1 --format=%B` gives it (a newline after it), read
        from the commit object by the store's long-lived reader."""
        found = self.git.read_object(f"{commit}^{{commit}}")
        if found is None:
            raise StoreError(f"unknown snapshot commit {commit!r}")
        _headers, _, body = found[1].partition(b"\n\n")
        return body.decode("utf-8", "replace") + "\n"

    def meta(self, commit: str) -> dict:
        """The JSON object after a snapshot message's first line ({} when there is none)."""
        _, _, rest = self.message(commit).partition("\n")
        rest = rest.strip()
        if not rest:
            return {}
        try:
            value = json.loads(rest)
        except json.JSONDecodeError as err:
            raise StoreError(f"snapshot {commit[:12]} has an unreadable message: {err}") from None
        return value if isinstance(value, dict) else {}

    def log(self, env: str, limit: int = 20) -> list[LogEntry]:
        """The latest `limit` snapshots of `env`, newest first."""
        head = self.head(env)
        if head is None:
            return []
        out = self.git.run(["log", "--first-parent", f"-n{limit}",
                            "--format=%H%x00%P%x00%cI%x00%B%x1e", head]).decode("utf-8", "replace")
        entries = []
        for rec in out.split("\x1e"):
            rec = rec.strip("\n")
            if not rec:
                continue
            sha, parents, date, body = rec.split("\x00", 3)
            subject, _, rest = body.partition("\n")
            try:
                meta = json.loads(rest) if rest.strip() else {}
            except json.JSONDecodeError:
                meta = {}
            entries.append(LogEntry(sha, tuple(parents.split()), date, subject, meta))
        return entries

    # -- tags -------------------------------------------------------------------------------

    def tag(self, name: str, commit: str, message: str) -> None:
        """An annotated tag (backups, releases); refuses to move an existing tag."""
        if self.ref_commit(f"refs/tags/{name}"):
            raise StoreError(f"tag {name} already exists")
        self.git.run(["tag", "-a", "-m", message, name, commit])

    def tags(self, prefix: str = "") -> dict[str, str]:
        """tag name -> commit, for tags starting with `prefix` (e.g. "backup/prod/")."""
        out = self.git.run(["for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)",
                            "refs/tags/"]).decode()
        result = {}
        for line in out.splitlines():
            ref, obj, peeled = line.split("\x00")
            name = ref[len("refs/tags/"):]
            if name.startswith(prefix):
                result[name] = peeled or obj
        return result

    # -- writing ----------------------------------------------------------------------------

    def write_snapshot(self, env: str, files: Mapping[str, bytes | BlobId], meta: dict, *,
                       expected_old: str | None, base_commit: str | None = None,
                       removed: Iterable[str] = (), when: datetime | None = None) -> str:
        """Store a snapshot of `env` and move its ref from `expected_old` to it.

        Full write: `files` is the whole tree. Incremental (`base_commit` given): `files` are the
        added/changed files and `removed` the deleted paths; the rest comes from the base tree.
        """
        _check_env(env)
        count = meta.get("components")
        if count is None and isinstance(meta.get("counts_by_type"), dict):
            count = sum(meta["counts_by_type"].values())
        if count is None:
            count = len(files)
        noun = "component" if count == 1 else "components"
        message = (f"sfenv pull {env}: {count} {noun}\n\n"
                   + json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")
        return self.write_ref_commit(self.env_ref(env), files, message, expected_old=expected_old,
                                     base_commit=base_commit, removed=removed, when=when)

    def write_ref_commit(self, ref: str, files: Mapping[str, bytes | BlobId], message: str, *,
                         expected_old: str | None, base_commit: str | None = None,
                         removed: Iterable[str] = (), when: datetime | None = None,
                         parent: str | None = None) -> str:
        """A commit of a tree on any ref (snapshots, release logs, sync points); atomic.

        The parent is `parent`, else `expected_old`. Raises StoreError, leaving the ref as it
        was, when anything fails or the ref no longer points at `expected_old`.
        """
        if not ref.startswith("refs/"):
            raise StoreError(f"not a full ref name: {ref!r}")
        removed = list(removed)
        for path in list(files) + removed:
            _check_path(path)
        current = self.ref_commit(ref)
        if current != expected_old:
            raise StoreError(f"{ref} moved: expected {expected_old or 'no ref'}, found "
                             f"{current or 'no ref'} (another writer got there first)")
        tree = self.write_tree(files, base_commit=base_commit, removed=removed,
                               known_commit=parent or expected_old)
        args = ["commit-tree", tree]
        if parent or expected_old:
            args += ["-p", parent or expected_old]  # type: ignore[list-item]
        env = {}
        if when is not None:
            stamp = when.isoformat()
            env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        commit = self.git.run([*args, "-F", "-"], input=message.encode(), env=env).decode().strip()
        self.update_ref(ref, commit, expected_old, message=message.partition("\n")[0])
        return commit

    def blob_sink(self, known: Iterable[str] = ()) -> BlobSink:
        """A writer of blobs as they arrive (see `sfenv.io.store.stream`); a context manager."""
        return BlobSink(self.git, known)

    def write_tree(self, files: Mapping[str, bytes | BlobId], *, base_commit: str | None = None,
                   removed: Iterable[str] = (), known_commit: str | None = None) -> str:
        """Store blobs and build a tree in a temporary index; returns the tree id.

        A file given as a `BlobId` (already in the object store, see `sfenv.io.store.stream`)
        is not written again; the tree is the one its bytes would give."""
        removed = list(removed)
        if len(files) + len(removed) <= SMALL_WRITE and not any(
                self.git.base_env.get(v) for v in _OBJECT_ENV):
            try:
                return self._edit_tree(files, base_commit, removed)
            except _NotSimple:
                pass
        known: set[str] = set()
        if any(not isinstance(data, BlobId) for data in files.values()):
            for commit in {c for c in (base_commit, known_commit) if c}:
                known.update(self.files(commit).values())
        entries: list[tuple[bytes, str]] = []
        missing: list[bytes] = []
        seen: set[str] = set()
        for path, data in files.items():
            if isinstance(data, BlobId):
                entries.append((path.encode("utf-8", "surrogateescape"), data))
                continue
            sha = blob_sha(data)
            entries.append((path.encode("utf-8", "surrogateescape"), sha))
            if sha not in known and sha not in seen:
                missing.append(data)
                seen.add(sha)
        if missing:
            self.git.write_blobs(missing)
        tmp = self.git_dir / f"sfenv-index-{os.getpid()}-{uuid.uuid4().hex}"
        env = {"GIT_INDEX_FILE": str(tmp)}
        try:
            if base_commit:  # else the index starts empty: git reads a missing file as such
                self.git.run(["read-tree", self.tree_of(base_commit)], env=env)
            lines = [b"0 " + ZERO.encode() + b"\t" + p.encode("utf-8", "surrogateescape") + b"\0"
                     for p in removed]
            entries.sort()  # index order: appending sorted entries is git's fast path
            lines += [b"100644 " + sha.encode() + b"\t" + path + b"\0" for path, sha in entries]
            if lines:
                self.git.stream(["update-index", "-z", "--index-info"], iter(lines), env=env)
            return self.git.run(["write-tree"], env=env).decode().strip()
        finally:
            tmp.unlink(missing_ok=True)

    def _edit_tree(self, files: Mapping[str, bytes | BlobId], base_commit: str | None,
                   removed: list[str]) -> str:
        """The tree `write_tree` builds, made by editing only the folders the paths touch
        (read from the base tree's objects) and writing the changed blobs and trees as loose
        objects: the same tree id the temporary index gives. Raises _NotSimple for what only
        git's index should decide (a file where a folder is, a path git may refuse)."""
        folders: dict[bytes, dict[bytes, tuple[bytes, str]]] = {}
        base = self.tree_of(base_commit) if base_commit else None

        def entries(folder: bytes) -> dict[bytes, tuple[bytes, str]]:
            if folder in folders:
                return folders[folder]
            sha = base
            if folder:
                parent, _, name = folder.rpartition(b"/")
                found = entries(parent).get(name)
                if found is not None and found[0] != _TREE_MODE:
                    raise _NotSimple
                sha = found[1] if found else None
            listed: dict[bytes, tuple[bytes, str]] = {}
            if sha:
                obj = self.git.read_object(sha)
                if obj is None or obj[0] != "tree":
                    raise StoreError(f"tree {sha} is missing from the snapshot repository")
                for info, name in tree_entries(obj[1], len(sha) // 2):
                    mode, _kind, entry_sha = info.split()
                    listed[name] = (mode.lstrip(b"0"), entry_sha.decode())
            folders[folder] = listed
            return listed

        def split(path: str) -> tuple[bytes, bytes]:
            raw = path.encode("utf-8", "surrogateescape")
            if not _simple_path(raw):
                raise _NotSimple
            folder, _, name = raw.rpartition(b"/")
            return folder, name

        entries(b"")  # the top folder is always written, even when nothing else is
        for path in removed:
            folder, name = split(path)
            listed = entries(folder)
            if name in listed and listed[name][0] != _TREE_MODE:
                del listed[name]  # as the index: a folder's name removes nothing
        for path, data in files.items():
            folder, name = split(path)
            listed = entries(folder)
            if (name in listed and listed[name][0] == _TREE_MODE) or \
                    (folder + b"/" + name if folder else name) in folders:
                raise _NotSimple  # a file where a folder is (or was read as one)
            sha = str(data) if isinstance(data, BlobId) else self._write_loose(b"blob", data)
            listed[name] = (b"100644", sha)
        for folder in sorted(folders, key=lambda f: -f.count(b"/") - (1 if f else 0)):
            listed = folders[folder]
            if folder and not listed:  # git writes no empty folders
                parent, _, name = folder.rpartition(b"/")
                if folders[parent].get(name, (_TREE_MODE,))[0] == _TREE_MODE:
                    folders[parent].pop(name, None)
                continue
            ordered = sorted(listed.items(), key=lambda item: item[0] + b"/"
                             if item[1][0] == _TREE_MODE else item[0])
            sha = self._write_loose(b"tree", b"".join(
                mode + b" " + name + b"\0" + bytes.fromhex(entry)
                for name, (mode, entry) in ordered))
            if not folder:
                return sha
            parent, _, name = folder.rpartition(b"/")
            folders[parent][name] = (_TREE_MODE, sha)
        raise AssertionError("the top folder is always written")  # pragma: no cover

    def _write_loose(self, kind: bytes, data: bytes) -> str:
        """Store one object as a loose object with gitdb (GitPython's object database: zlib
        level 1, a temporary file renamed into place, so a reader sees it whole or not at all,
        and an object already stored is kept). Returns its id.

        An object already stored loose is not compressed and written again: gitdb would write
        a temporary file and then remove it, and about half of the objects a promotion's small
        writes store are already there (a file written again as it was, a folder whose
        entries came out the same)."""
        digest = hashlib.sha1(kind + b" %d\0" % len(data))
        digest.update(data)
        sha = digest.hexdigest()
        if os.path.isfile(self.git_dir / "objects" / sha[:2] / sha[2:]):
            return sha  # placed whole by a rename, by gitdb or git itself
        if self._loose is None:
            self._loose = LooseObjectDB(str(self.git_dir / "objects"))
        try:
            return str(self._loose.store(IStream(kind, len(data), BytesIO(data))).hexsha.decode())
        except OSError as err:
            raise StoreError(f"cannot write an object in {self.git_dir / 'objects'}: "
                             f"{err.strerror}") from None

    def update_ref(self, ref: str, new: str, expected_old: str | None, *,
                   message: str = "sfenv") -> None:
        """Compare-and-swap a ref: StoreError if it does not point at `expected_old`."""
        try:
            self.git.run(["update-ref", "--create-reflog", "-m", message, ref, new,
                          expected_old or ZERO])
        except StoreError as err:
            current = self.ref_commit(ref)
            raise StoreError(f"{ref} moved: expected {expected_old or 'no ref'}, found "
                             f"{current or 'no ref'} ({err})") from None

    def delete_ref(self, ref: str, expected_old: str) -> None:
        self.git.run(["update-ref", "-d", ref, expected_old])

    # -- locks ------------------------------------------------------------------------------

    @contextmanager
    def lock(self, env: str, *, wait: float = 0.0, command: str = "") -> Iterator[EnvLock]:
        """Exclusive per-environment lock: an O_EXCL file recording its owner (pid, host,
        command, time). A lock whose owner process is gone (same host) is taken over; a live
        one makes this wait up to `wait` seconds, then fail in one line naming the owner.

        Two pulls of one environment cannot run together; different environments can. The
        yielded `EnvLock` lets the holder run nested operations under it.
        """
        _check_env(env)
        lock_dir = self.git_dir / "sfenv-locks"
        lock_dir.mkdir(exist_ok=True)
        path = lock_dir / f"{env}.lock"
        deadline = time.monotonic() + wait
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
                "since": datetime.now().astimezone().isoformat(timespec="seconds"),
                "token": uuid.uuid4().hex}
        while not _create_whole(path, json.dumps(info).encode()):
            holder = self._lock_holder(path)
            if holder is None:
                continue  # stale lock removed: try again at once
            if time.monotonic() >= deadline:
                if not holder:
                    raise StoreError(f"environment {env} is locked: its lock file is empty "
                                     "(being written, or left by a crash; it is taken over "
                                     f"a minute after it was written) ({path})") from None
                doing = f" ({holder['command']})" if holder.get("command") else ""
                raise StoreError(f"environment {env} is locked by pid {holder.get('pid')}"
                                 f"{doing} on {holder.get('host')} since "
                                 f"{holder.get('since')} ({path})") from None
            time.sleep(0.05)
        try:
            yield EnvLock(env, path, str(info["token"]), command)
        finally:
            try:
                if json.loads(path.read_text()).get("token") == info["token"]:
                    path.unlink()
            except (OSError, ValueError):
                pass

    @staticmethod
    def _lock_holder(path: Path) -> dict | None:
        """The holder's info ({} for an empty file: an older sfenv's lock being written or left
        by a crash), or None after removing a stale lock (dead pid on this host)."""
        try:
            holder = json.loads(path.read_text() or "{}")
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            holder = {}
        if not holder:
            # Being written right now, or left half-written by a crash: stale after a minute.
            try:
                if time.time() - path.stat().st_mtime > 60:
                    path.unlink(missing_ok=True)
                    return None
            except FileNotFoundError:
                return None
            return {}
        pid = holder.get("pid")
        if holder.get("host") == socket.gethostname() and isinstance(pid, int) \
                and not _pid_alive(pid):
            path.unlink(missing_ok=True)
            return None
        return holder
