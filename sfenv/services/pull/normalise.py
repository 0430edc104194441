"""Canonical bytes for a retrieve's files, keeping what the org gave when that fails.

A backup must not be lost to one odd file (a `.js-meta.xml` holding plain text, a file with a
byte Salesforce lets through): a file that cannot be parsed or normalised is stored exactly
as retrieved and named in a warning. Diff and release then see it as an opaque file (changed
when its bytes change).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from sfenv.core.metadata.registry import Registry
from sfenv.core.metadata.xmlio import canonicalize
from sfenv.errors import MetadataError
from sfenv.io.store.stream import BlobId, BlobSink
from sfenv.services.pull.names import refuse_bad_path


def normalise_files(files: Mapping[str, bytes],
                    registry: Registry) -> tuple[dict[str, bytes], list[str]]:
    """(canonical files, warnings naming each file kept as retrieved)."""
    out: dict[str, bytes] = {}
    warnings: list[str] = []
    for path, data in files.items():
        try:
            out[path] = canonicalize(path, data, registry)
        except MetadataError as err:
            out[path] = data
            warnings.append(f"{path}: kept as retrieved, not normalised ({_reason(err, path)})")
    return out, warnings


def _reason(err: MetadataError, path: str) -> str:
    text = str(err)
    return text[len(path) + 1:].lstrip(": ") if text.startswith(path + ":") else text


class Preparer:
    """Retrieved files -> snapshot files, chunk by chunk as they arrive (thread-safe): files
    no registry type owns are refused (see `only_metadata`), the rest normalised. The refused
    paths and the kept-as-retrieved warnings accumulate here.

    With a `sink` (`sfenv.io.store.stream.BlobSink`), each chunk's prepared files are written to
    git at once and only their blob ids are held; `finish` keeps what it prepares (the merged
    profiles, which later steps may merge again) as bytes."""

    def __init__(self, registry: Registry, sink: BlobSink | None = None) -> None:
        self.registry = registry
        self.sink = sink
        self.refused: list[str] = []
        self.kept_as_is: list[str] = []
        self.prepared: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, files: Mapping[str, bytes]) -> dict[str, bytes | BlobId]:
        out = self._prepare(files)
        return dict(self.sink.write(out)) if self.sink is not None else dict(out)

    def _prepare(self, files: Mapping[str, bytes]) -> dict[str, bytes]:
        kept, refused = only_metadata(files, self.registry)
        for path in kept:  # before anything of this chunk is written
            cid = self.registry.component_of(path)
            if cid is not None:
                refuse_bad_path(path, cid.type, cid.full_name)
        out, warnings = normalise_files(kept, self.registry)
        with self._lock:
            self.refused.extend(refused)
            self.kept_as_is.extend(warnings)
            self.prepared.update(out)
        return out

    def finish(self, files: dict[str, bytes | BlobId]) -> dict[str, bytes | BlobId]:
        """Prepare what has not been yet (merged profile pieces); the snapshot's files."""
        rest = self._prepare({p: d for p, d in files.items()  # type: ignore[misc]
                              if p not in self.prepared})  # blob ids are all prepared
        out: dict[str, bytes | BlobId] = {p: d for p, d in files.items() if p in self.prepared}
        out.update(rest)
        self.refused.sort()
        self.kept_as_is.sort()
        return out


def only_metadata(files: Mapping[str, bytes],
                  registry: Registry) -> tuple[dict[str, bytes], list[str]]:
    """The retrieved files some registry type owns, and the refused rest (sorted).

    A snapshot ref may be pushed to a code host where some paths act (`.github/workflows/`):
    whatever an org's zip holds beyond metadata never lands in the store."""
    kept: dict[str, bytes] = {}
    refused: list[str] = []
    for path, data in files.items():
        if path.startswith(".") or "/." in path or registry.component_of(path) is None:
            refused.append(path)
        else:
            kept[path] = data
    return kept, sorted(refused)
