"""Chunked, parallel retrieves that adapt to the org's limits.

- Errors are told apart by Salesforce's status code, never by their text: REQUEST_LIMIT_EXCEEDED
  (the org's API allowance) stops the whole pull; LIMIT_EXCEEDED (a retrieve too large) splits.
- Chunks start near the configured size (or the size remembered for this org) and are halved
  when Salesforce answers LIMIT_EXCEEDED (10,000 files or ~39 MB zipped per retrieve).
- A chunk that fails otherwise is bisected until the failing member stands alone; that member
  goes on the skip list with Salesforce's reason and every other member is still retrieved.
- A Profile holds permissions only for components retrieved with it, so every chunk that
  carries profile-related types carries the profiles too, and the pieces are merged.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.profiles import merge_profiles
from sfenv.core.metadata.registry import Registry
from sfenv.errors import MetadataError, OrgError, RequestLimitError
from sfenv.io.store.stream import BlobId
from sfenv.progress import Progress
from sfenv.services.pull.orgport import PullClient

if TYPE_CHECKING:
    from sfenv.io.org.retrieve import RetrieveResult

ABORT_CODES = {"INVALID_SESSION_ID", "INVALID_LOGIN", "REQUEST_LIMIT_EXCEEDED", "API_DISABLED_FOR_ORG"}
LIMIT_CODES = {"LIMIT_EXCEEDED", "EXCEEDED_ID_LIMIT", "MAX_FILES_EXCEEDED"}


@dataclass(frozen=True)
class RideAlong:
    """The type retrieved together with related types (the registry's `retrieved_with`:
    Profile): its components ride with every chunk carrying one of `related`, and the
    pieces that come back are merged."""

    type_name: str
    directory: str
    related: frozenset[str]

    @classmethod
    def of(cls, registry: Registry) -> RideAlong:
        [rider] = registry.retrieved_with_related()
        return cls(rider.name, rider.directory, frozenset(rider.retrieved_with))

    def id(self, full_name: str) -> ComponentId:
        return ComponentId(self.type_name, full_name)


@dataclass
class Chunk:
    members: list[ComponentId]
    profiles: list[str] = field(default_factory=list)  # full names of the riding type
    rider: str = ""  # the riding type's name (RideAlong.type_name)

    def request(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for cid in self.members:
            out[cid.type].append(cid.full_name)
        if self.profiles:
            out[self.rider].extend(self.profiles)
        return dict(out)

    def size(self) -> int:
        return len(self.members) + len(self.profiles)


@dataclass
class Retrieved:
    files: dict[str, bytes | BlobId] = field(default_factory=dict)  # bytes or written blobs
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"component", "reason"}
    warnings: list[str] = field(default_factory=list)
    retrieves: int = 0
    chunk_size: int = 0  # the largest size that worked
    bytes: int = 0  # zipped bytes the org sent


def plan_chunks(members: list[ComponentId], profiles: list[str], size: int,
                ride: RideAlong) -> list[Chunk]:
    """Members in stable order cut into chunks; profiles ride with profile-related types."""
    size = max(1, size)
    ordered = sorted(members)
    chunks = [Chunk(ordered[i:i + size], rider=ride.type_name)
              for i in range(0, len(ordered), size)]
    rode = False
    for chunk in chunks:
        if profiles and any(cid.type in ride.related for cid in chunk.members):
            chunk.profiles = list(profiles)
            rode = True
    if profiles and not rode:
        chunks.append(Chunk([], list(profiles), ride.type_name))
    return chunks


class ChunkRetriever:
    """Runs chunks on a thread pool, splitting and isolating as the org answers."""

    def __init__(self, client: PullClient, *, ride: RideAlong, size: int, parallel: int,
                 poll: float, max_poll: float, timeout: float, progress: Progress | None = None,
                 prepare: Callable[[dict[str, bytes]], dict[str, bytes | BlobId]] | None = None) -> None:
        self.client = client
        self.ride = ride
        # applied to each chunk's files as they arrive (the riding type's pieces excepted: they
        # are merged first), so the retrieved bytes are not held beside their prepared form
        self.prepare = prepare
        self.size = size
        self.parallel = max(1, parallel)
        self.poll, self.max_poll, self.timeout = poll, max_poll, timeout
        self.progress = progress
        self._lock = threading.Lock()
        self.result = Retrieved(chunk_size=0)
        self._profile_parts: dict[str, list[bytes]] = defaultdict(list)
        self._stop = threading.Event()  # set when one chunk hit an error that ends the pull

    def run(self, chunks: list[Chunk]) -> Retrieved:
        total = sum(c.size() for c in chunks)
        if self.progress:
            self.progress.stage("retrieving components", total)
        pending: set[Future[list[Chunk]]] = set()
        queue = list(chunks)
        failure: BaseException | None = None
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            while (queue and failure is None) or pending:
                while queue and failure is None and len(pending) < self.parallel:
                    pending.add(pool.submit(self._one, queue.pop(0)))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        queue.extend(future.result())
                    except BaseException as err:  # noqa: BLE001 - re-raised below, once
                        failure = failure or err
                        self._stop.set()  # running chunks finish their call, queued ones never start
        if failure is not None:
            raise failure
        for path, parts in self._profile_parts.items():
            self.result.files[path] = parts[0] if len(parts) == 1 else merge_profiles(parts)
        return self.result

    def _one(self, chunk: Chunk) -> list[Chunk]:
        """Retrieve one chunk; return the chunks to try instead when it must be split."""
        if self._stop.is_set():
            return []
        try:
            got = self._retrieve(chunk)
        except OrgError as err:
            return self._after_failure(chunk, err)
        messages = got.messages
        riders = f"{self.ride.directory}/"
        parts = {p: d for p, d in got.files.items() if p.startswith(riders)}
        kept = {p: d for p, d in got.files.items() if not p.startswith(riders)}
        zipped = len(got.zip_bytes)
        del got
        files: Mapping[str, bytes | BlobId] = (kept if self.prepare is None
                                               else self.prepare(kept))
        del kept  # not held beside their prepared form
        with self._lock:
            self.result.retrieves += 1
            self.result.bytes += zipped
            self.result.chunk_size = max(self.result.chunk_size, chunk.size())
            self.result.files.update(files)
            for path, data in parts.items():
                self._profile_parts[path].append(data)
            for file_name, problem in messages:
                self.result.warnings.append(f"{file_name}: {problem}")
        if self.progress:
            self.progress.advance(chunk.size())
        return []

    def _retrieve(self, chunk: Chunk) -> RetrieveResult:
        """A zip that arrives corrupt is fetched once more before the pull gives up."""
        for attempt in (1, 2):
            try:
                return self.client.retrieve(chunk.request(), poll=self.poll,
                                            max_poll=self.max_poll, timeout=self.timeout)
            except MetadataError as err:
                if attempt == 2:
                    raise OrgError(f"the org sent a corrupt zip twice: {err}") from None
                if self.progress:
                    self.progress.note("a retrieved zip was corrupt: retrieving that chunk again")
        raise AssertionError("unreachable")

    def _after_failure(self, chunk: Chunk, err: OrgError) -> list[Chunk]:
        if isinstance(err, RequestLimitError) or err.code in ABORT_CODES:
            raise err  # the org's allowance or the session: no member is to blame
        if err.code in LIMIT_CODES:
            with self._lock:
                self.size = max(1, min(self.size, chunk.size()) // 2)
            if self.progress:
                self.progress.note(f"retrieve too large ({chunk.size()} members): halving to {self.size}")
            if len(chunk.members) <= 1:
                return self._isolate_single(chunk, err)
            return _halves(chunk)
        if not err.code:
            raise err  # not a member problem: network or auth, already retried by the client
        if len(chunk.members) > 1:
            return _halves(chunk)
        return self._isolate_single(chunk, err)

    def _isolate_single(self, chunk: Chunk, err: OrgError) -> list[Chunk]:
        """One member (plus riding profiles) still fails: find out who is to blame."""
        if chunk.profiles and chunk.members:
            # try the member alone, then the profiles alone
            return [replace(chunk, profiles=[]), replace(chunk, members=[])]
        if len(chunk.profiles) > 1:
            half = len(chunk.profiles) // 2
            return [replace(chunk, profiles=chunk.profiles[:half]),
                    replace(chunk, profiles=chunk.profiles[half:])]
        culprit = chunk.members[0] if chunk.members else self.ride.id(chunk.profiles[0])
        with self._lock:
            self.result.skipped.append({"component": str(culprit), "reason": str(err)})
        if self.progress:
            self.progress.note(f"skipped {culprit}: {err}")
            self.progress.advance(chunk.size())
        return []


def _halves(chunk: Chunk) -> list[Chunk]:
    half = max(1, len(chunk.members) // 2)
    return [replace(chunk, members=chunk.members[:half], profiles=list(chunk.profiles)),
            replace(chunk, members=chunk.members[half:], profiles=list(chunk.profiles))]
