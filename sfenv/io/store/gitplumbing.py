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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sfenv.errors import StoreError

ZERO = "0" * 40


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
        out = self.stream(["cat-file", "--batch"], (s.encode() + b"\n" for s in unique))
        result: dict[str, bytes] = {}
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

    def list_tree(self, tree: str, paths: Sequence[str], *,
                  recursive: bool) -> list[tuple[str, str, str]]:
        """`(path, object type, object id)` of the entries `list_records` gives."""
        return [parse_tree_record(rec)
                for rec in self.list_records(tree, paths, recursive=recursive)]


def parse_tree_record(rec: bytes) -> tuple[str, str, str]:
    """One `ls-tree -z` record as `(path, object type, object id)`."""
    info, _, path = rec.partition(b"\t")
    _mode, kind, sha = info.decode().split()
    return path.decode("utf-8", "surrogateescape"), kind, sha
