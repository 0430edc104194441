"""Blobs written to git as they arrive, so a long write holds blob ids, not bytes.

A pull retrieves its org in chunks; `BlobSink` stores each chunk's files in the repository's
object store through one long-lived `git fast-import` (one pack for the whole pull) and hands
back `BlobId`s. `SnapshotStore.write_tree` takes a `BlobId` in place of a file's bytes and
does not write it again, so the tree is the same one the bytes would give.

Blobs written by a pull that fails later stay in the object store unreferenced (no ref points
at them; `git gc` prunes them); the ref itself moves only when the snapshot is written.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping

from sfenv.errors import StoreError
from sfenv.io.store.gitplumbing import Git, blob_sha


class BlobId(str):
    """The id of a blob already in the object store, given where a file's bytes would be."""

    __slots__ = ()


class BlobSink:
    """One `git fast-import` for many writes (thread-safe); use as a context manager.

    `known`: ids the store already holds (the previous snapshot's blobs); those are not
    written again. The blobs are readable by other git commands once the sink is closed."""

    def __init__(self, git: Git, known: Iterable[str] = ()) -> None:
        self.git = git
        self._known: set[str] = set(known)
        self._lock = threading.Lock()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._proc: subprocess.Popen | None = None
        self.written = 0  # blobs sent to git (not counting known or repeated ones)

    def __enter__(self) -> BlobSink:
        self._proc = subprocess.Popen(
            ["git", "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=self._stderr, env=self.git.base_env)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, files: Mapping[str, bytes]) -> dict[str, BlobId]:
        """Store `files`' contents; the same paths mapped to their blob ids."""
        ids = {path: BlobId(blob_sha(data)) for path, data in files.items()}
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None:
                raise StoreError("the blob writer is closed")
            try:
                for path, sha in ids.items():
                    if sha in self._known:
                        continue
                    self._known.add(sha)
                    data = files[path]
                    proc.stdin.write(b"blob\ndata %d\n" % len(data))
                    proc.stdin.write(data)
                    proc.stdin.write(b"\n")
                    self.written += 1
            except (BrokenPipeError, OSError):
                raise StoreError(f"git fast-import failed: {self._error()}") from None
        return ids

    def close(self) -> None:
        """Finish the pack; StoreError if git could not store the blobs."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.write(b"done\n")
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.close()
        code = proc.wait()
        message = self._error()
        self._stderr.close()
        if code != 0:
            raise StoreError(f"git fast-import failed: {message or code}")

    def _error(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "the process ended"
