"""Thin helpers around git plumbing commands that stream bytes (one process per batch).

GitPython's command wrapper is fine for small calls; these helpers exist for the batched ones
(fast-import, cat-file --batch, update-index --index-info) where we feed megabytes on stdin
and must not deadlock on full pipes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

from sfenv.errors import StoreError

ZERO = "0" * 40
# read_blobs asks the long-lived reader one object at a time; above this many it streams them
# through one `cat-file --batch` of their own (a writer thread, no round trip per object).
_BATCH_ROUND_TRIPS = 64


def blob_sha(data: bytes) -> str:
    """The id git gives `data` as a blob (so we can skip blobs git already has)."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


class Git:
    """Runs git against one repository (`git_dir` + optional work tree) with a fixed env."""

    def __init__(self, git_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.git_dir = git_dir
        self.base_env = {**os.environ, "GIT_DIR": str(git_dir), "LC_ALL": "C",
                         "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        self._reader: CatFile | None = None
        self._reader_lock = threading.Lock()

    @property
    def reader(self) -> CatFile:
        """This repository's long-lived `git cat-file --batch-command` (started on first use)."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = CatFile(self.base_env)
            return self._reader

    def close(self) -> None:
        """End the long-lived reader (it also ends when this object is collected, or at exit)."""
        with self._reader_lock:
            reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()

    def resolve(self, name: str) -> str | None:
        """The object id `name` (a ref, `rev^{commit}`, `sha~2`...) names, or None: what
        `git rev-parse --verify --quiet name` answers, without a process per question."""
        found = self.reader.info(name)
        if found is not CatFile.FAILED:
            return found[0] if found else None
        out = self.ok(["rev-parse", "--verify", "--quiet", name])
        return out.decode().strip() if out else None

    def read_object(self, name: str) -> tuple[str, bytes] | None:
        """`(type, contents)` of the object `name` names, or None when there is none."""
        found = self.reader.contents(name)
        if found is not CatFile.FAILED:
            return (found[1], found[2]) if found else None
        sha = self.resolve(name)
        if sha is None:
            return None
        kind = self.run(["cat-file", "-t", sha]).decode().strip()
        return kind, self.run(["cat-file", kind, sha])

    def run(self, args: Sequence[str], *, input: bytes | None = None,
            env: Mapping[str, str] | None = None, check: bool = True) -> bytes:
        """Run `git args`, feeding `input`; raise StoreError with git's message on failure."""
        proc = subprocess.run(["git", *args], input=input, capture_output=True,
                              env={**self.base_env, **(env or {})}, check=False)
        if check and proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise StoreError(f"git {args[0]} failed: {msg[-1] if msg else proc.returncode}")
        return proc.stdout

    def ok(self, args: Sequence[str], **kw) -> bytes | None:
        """Like run, but None instead of an error (for `rev-parse --verify` and friends)."""
        proc = subprocess.run(["git", *args], capture_output=True,
                              env={**self.base_env, **kw.get("env", {})}, check=False)
        return proc.stdout if proc.returncode == 0 else None

    def stream(self, args: Sequence[str], chunks: Iterable[bytes], *,
               env: Mapping[str, str] | None = None) -> bytes:
        """Run git with stdin fed from `chunks` by a thread (no pipe deadlock); return stdout."""
        proc = subprocess.Popen(["git", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**self.base_env, **(env or {})})
        errors: list[BaseException] = []

        def feed() -> None:
            try:
                assert proc.stdin is not None
                for chunk in chunks:
                    proc.stdin.write(chunk)
            except BrokenPipeError:
                pass
            except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(err)
            finally:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()  # type: ignore[union-attr]

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        assert proc.stdout is not None and proc.stderr is not None
        stderr_box: list[bytes] = []
        reader = threading.Thread(target=lambda: stderr_box.append(proc.stderr.read()),
                                  daemon=True)
        reader.start()
        out = proc.stdout.read()
        writer.join()
        reader.join()
        code = proc.wait()
        if errors:
            raise errors[0]
        if code != 0:
            msg = b"".join(stderr_box).decode("utf-8", "replace").strip().splitlines()
            raise StoreError(f"git {args[0]} failed: {msg[-1] if msg else code}")
        return out

    # -- batched object access -------------------------------------------------------------

    def write_blobs(self, blobs: Iterable[bytes]) -> None:
        """Store blobs with one `git fast-import` (one pack, no process per file)."""

        def chunks() -> Iterable[bytes]:
            for data in blobs:
                yield b"blob\ndata %d\n" % len(data)
                yield data
                yield b"\n"
            yield b"done\n"

        self.stream(["fast-import", "--quiet", "--done"], chunks())

    def read_blobs(self, shas: Sequence[str]) -> dict[str, bytes]:
        """Contents of many objects with one `git cat-file --batch`; StoreError if one is missing."""
        if not shas:
            return {}
        unique = list(dict.fromkeys(shas))
        if len(unique) <= _BATCH_ROUND_TRIPS:
            result: dict[str, bytes] = {}
            for sha in unique:
                found = self.read_object(sha)
                if found is None:
                    raise StoreError(f"object {sha} is missing from the snapshot repository")
                result[sha] = found[1]
            return result
        out = self.stream(["cat-file", "--batch"], (s.encode() + b"\n" for s in unique))
        result = {}
        pos = 0
        for sha in unique:
            eol = out.index(b"\n", pos)
            header = out[pos:eol].split()
            if len(header) != 3:
                raise StoreError(f"object {sha} is missing from the snapshot repository")
            size = int(header[2])
            start = eol + 1
            result[sha] = out[start:start + size]
            pos = start + size + 1
        return result

    def list_records(self, tree: str, paths: Sequence[str], *,
                     recursive: bool = False) -> list[bytes]:
        """The raw `git ls-tree -z` records (`<mode> <type> <id>\\t<path>`) of the entries of
        `tree` at `paths` (a folder given as `folder/` lists its entries); `recursive`
        descends into folders. Paths go in batches of 500 (the argument limit)."""
        records: list[bytes] = []
        flags = ["-r"] if recursive else []
        for start in range(0, len(paths), 500):
            out = self.run(["ls-tree", "-z", "--full-tree", *flags, tree, "--",
                            *paths[start:start + 500]])
            records.extend(rec for rec in out.split(b"\0") if rec)
        return records

    def folder_records(self, tree: str, folders: Sequence[str]) -> list[bytes]:
        """The `ls-tree -z` records of the entries directly in each of `folders` ("" the top)
        of `tree`, read as tree objects by the long-lived reader: no process for the few
        folders a diff or a file read looks into. A missing folder has no entries."""
        records: list[bytes] = []
        trees: dict[str, str | None] = {"": tree}
        for folder in folders:
            sha = self._folder_tree(trees, folder)
            if sha is None:
                continue
            found = self.read_object(sha)
            if found is None or found[0] != "tree":
                raise StoreError(f"tree {sha} of folder {folder or '.'!r} is missing from the "
                                 f"snapshot repository")
            base = folder.encode("utf-8", "surrogateescape") + b"/" if folder else b""
            records.extend(info + b"\t" + base + name
                           for info, name in tree_entries(found[1], len(sha) // 2))
        return records

    def _folder_tree(self, trees: dict[str, str | None], folder: str) -> str | None:
        """The tree id of `folder`, walking down from the nearest folder already known."""
        if folder in trees:
            return trees[folder]
        parent, _, name = folder.rpartition("/")
        above = self._folder_tree(trees, parent)
        sha = None
        if above is not None:
            found = self.read_object(above)
            if found is not None and found[0] == "tree":
                want = name.encode("utf-8", "surrogateescape")
                for info, entry in tree_entries(found[1], len(above) // 2):
                    if entry == want:
                        sha = info.split()[2].decode() if info.split()[1] == b"tree" else None
                        break
        trees[folder] = sha
        return sha

    def list_tree(self, tree: str, paths: Sequence[str], *,
                  recursive: bool) -> list[tuple[str, str, str]]:
        """`(path, object type, object id)` of the entries `list_records` gives."""
        return [parse_tree_record(rec)
                for rec in self.list_records(tree, paths, recursive=recursive)]


def tree_entries(data: bytes, id_len: int) -> Iterable[tuple[bytes, bytes]]:
    """`(b"<mode> <type> <id>", name)` of each entry of a raw tree object (git's binary
    format: `<mode> <name>\\0<id bytes>`), in one pass over the object."""
    pos, end = 0, len(data)
    while pos < end:
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        mode = data[pos:space]
        sha = data[nul + 1:nul + 1 + id_len].hex().encode()
        kind = b"tree" if mode == b"40000" else b"commit" if mode == b"160000" else b"blob"
        yield mode.rjust(6, b"0") + b" " + kind + b" " + sha, data[space + 1:nul]
        pos = nul + 1 + id_len


def parse_tree_record(rec: bytes) -> tuple[str, str, str]:
    """One `ls-tree -z` record as `(path, object type, object id)`."""
    info, _, path = rec.partition(b"\t")
    _mode, kind, sha = info.decode().split()
    return path.decode("utf-8", "surrogateescape"), kind, sha


class CatFile:
    """One long-lived `git cat-file --batch-command` answering object and ref questions.

    Git re-reads a loose ref on every lookup and re-checks `packed-refs` (and the packs) when
    they change, so a ref moved or packed by another process is seen at the next question;
    new objects are found too (git rescans the packs on a miss). Thread-safe: one question
    and its answer at a time. A process found dead (killed, or git gave up on a name) is
    started again for the question; when the new one dies on it too the answer is FAILED and
    the caller asks a one-off git instead. A forked child starts its own. Ends at `close()`, when
    collected, or at interpreter exit."""

    FAILED: tuple[str, str, bytes] = ("", "", b"")

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = dict(env)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid = 0
        self._finalizer: weakref.finalize | None = None
        self.started = 0  # processes started (1 unless one died)

    def info(self, name: str) -> tuple[str, str, bytes] | None:
        """`(id, type, b"")` of `name`, None when git knows no such object, FAILED when the
        process could not answer."""
        return self._ask(b"info", name, with_contents=False)

    def contents(self, name: str) -> tuple[str, str, bytes] | None:
        """`(id, type, contents)` of `name`, None or FAILED as for `info`."""
        return self._ask(b"contents", name, with_contents=True)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(["git", "cat-file", "--batch-command"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self._env)
        self._proc, self._pid = proc, os.getpid()
        self._finalizer = weakref.finalize(self, _end_process, proc)
        self.started += 1
        return proc

    def _stop(self) -> None:
        if self._finalizer is not None:
            if self._pid == os.getpid():
                self._finalizer()  # ends the process
            else:
                self._finalizer.detach()  # a forked child leaves its parent's process alone
        self._proc, self._finalizer = None, None

    def _ask(self, command: bytes, name: str,
             with_contents: bool) -> tuple[str, str, bytes] | None:
        if not name or "\n" in name or "\0" in name or name != name.strip():
            return None  # not an object name git could answer on one line
        request = command + b" " + name.encode("utf-8", "surrogateescape") + b"\n"
        with self._lock:
            for _attempt in (1, 2):
                if self._proc is None or self._pid != os.getpid():
                    self._proc = None
                    self._start()
                proc = self._proc
                assert proc is not None and proc.stdin is not None and proc.stdout is not None
                try:
                    proc.stdin.write(request)
                    proc.stdin.flush()
                    header = proc.stdout.readline()
                except (BrokenPipeError, OSError, ValueError):
                    header = b""
                if not header.endswith(b"\n"):
                    # The process is gone: killed before the question (a new one answers it),
                    # or git died on this name twice (the caller asks a one-off git).
                    self._stop()
                    continue
                return _answer(proc.stdout, header, with_contents)
        return self.FAILED


def _answer(out: IO[bytes], header: bytes,
            with_contents: bool) -> tuple[str, str, bytes] | None:
    parts = header.split()
    if parts[-1:] in ([b"missing"], [b"ambiguous"]) or len(parts) != 3:
        return None
    data = b""
    if with_contents:
        size = int(parts[2])
        data = out.read(size + 1)[:size]
    return parts[0].decode(), parts[1].decode(), data


def _end_process(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError):
        proc.stdin.close()  # type: ignore[union-attr]
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with contextlib.suppress(OSError, ValueError):
        proc.stdout.close()  # type: ignore[union-attr]
