"""`sfenv pull` and `sfenv backup`: an org's metadata -> a snapshot commit on its env ref.

The pull runs in steps, each in its own function or module: connect and check the org's
identity (`identity`), list (`listing`; on an org with source tracking, an incremental pull
lists only what SourceMember says changed: `tracking`), plan (`plan`), retrieve in chunks
(`retrieval`, files normalised as they arrive: `normalise`), keep what must not be lost
(`keep`), add the `.sfenv/` side files (`sidefiles`) and write the snapshot.

The ref moves only when the snapshot is complete (compare-and-swap on the old value, under a
per-environment lock), so a failed pull leaves the previous snapshot in place. Incremental
pulls re-retrieve only components whose lastModifiedDate moved (or whose children did), drop
what is no longer listed, and refresh profiles when their inputs may have changed; their tree
equals what a full pull would give.

A snapshot never loses what the org holds without saying so: a member Salesforce cannot
retrieve (UNKNOWN_EXCEPTION even alone) keeps its previous content, marked stale in the skip
list; a listed component that came back without files, or a full pull that retrieved nothing,
leaves the ref where it was. Only metadata lands in a snapshot: a retrieved path no registry
type owns is refused and reported. Each environment is bound to its org id (see
`sfenv.services.records.org_identity`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sfenv.config.model import Config
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import Package
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import StoreError
from sfenv.io.source.materialize import Materialized, materialize_env
from sfenv.io.store.format import INDEX_PATH, META_REFRESH, json_bytes
from sfenv.io.store.snapshots import EnvLock, SnapshotStore
from sfenv.io.store.stream import BlobId
from sfenv.progress import Progress
from sfenv.services.pull import chunkmemory, keep, tracking
from sfenv.services.pull.accounting import Accounting, account
from sfenv.services.pull.folders_migration import migrate_folder_files
from sfenv.services.pull.listing import Inventory, keep_known_present, list_inventory, load_manifest
from sfenv.services.pull.normalise import Preparer
from sfenv.services.pull.orgport import Connect, PullClient
from sfenv.services.pull.plan import Plan, make_plan
from sfenv.services.pull.retrieval import ChunkRetriever, Retrieved, RideAlong, plan_chunks
from sfenv.services.pull.sidefiles import org_side_files
from sfenv.services.records.backups import (
    annotation,
    check_tag_name,
    free_default_tag,
    unchanged_backup,
)
from sfenv.services.records.org_identity import check_org_identity

__all__ = ["INDEX_PATH", "BackupResult", "PullResult", "backup_env", "pull_env"]


NOT_RETURNED = "listed by the org but not returned by the retrieve"


@dataclass
class PullResult:
    env: str
    commit: str
    previous: str | None
    changed: bool
    incremental: bool
    components: int
    counts_by_type: dict[str, int]
    retrieved: int
    removed: int
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    retrieves: int = 0
    org_id: str = ""
    accounting: dict[str, Any] = field(default_factory=dict)  # see sfenv.services.pull.accounting
    # what the org was asked: listMetadata and all API calls, bytes of zips retrieved, and
    # how the inventory was made ("full listing", or "source tracking: N changes")
    cost: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BackupResult:
    pull: PullResult
    tag: str
    ref: str

    def to_json(self) -> dict[str, Any]:
        return {"env": self.pull.env, "ref": self.ref, "commit": self.pull.commit, "tag": self.tag,
                "components": self.pull.components, "counts_by_type": self.pull.counts_by_type,
                "skipped": self.pull.skipped, "warnings": self.pull.warnings,
                "incremental": self.pull.incremental, "duration_s": self.pull.duration_s,
                "accounting": self.pull.accounting}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def pull_env(config: Config, env: str, *, full: bool = False, progress: Progress | None = None,
             connect: Connect | None = None, store: SnapshotStore | None = None,
             registry: Registry | None = None, new_org: bool = False,
             lock: EnvLock | None = None, lock_wait: float = 0.0) -> PullResult:
    """Retrieve `env` and record it as a snapshot; see the module docstring.

    `lock`: the caller already holds `env`'s lock (a promotion's verification pull) and the
    pull runs under it; otherwise the pull takes the lock, waiting up to `lock_wait` seconds.
    `new_org`: the environment was refreshed; accept a new org id and log the refresh.
    """
    if lock is not None:
        if lock.env != env or not lock.still_held():
            raise StoreError(f"{env}: the lock passed to this pull is not held for {env}")
        return _pull_locked(config, env, full=full, progress=progress, connect=connect,
                            store=store or SnapshotStore(config.root), registry=registry,
                            new_org=new_org)
    config.env(env)  # an unknown environment is a usage error before any repository or login
    store = store or SnapshotStore(config.root)
    with store.lock(env, wait=lock_wait, command=f"sfenv pull {env}"):
        return _pull_locked(config, env, full=full, progress=progress, connect=connect,
                            store=store, registry=registry, new_org=new_org)


@dataclass
class _Previous:
    """The environment's last snapshot, as an incremental pull needs it."""

    commit: str | None
    index: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # path -> blob id
    meta: dict[str, Any] | None = None

    @classmethod
    def read(cls, store: SnapshotStore, commit: str | None) -> _Previous:
        if not commit:
            return cls(None)
        return cls(commit, _read_json(store, commit, INDEX_PATH) or {}, store.files(commit),
                   store.meta(commit))


@dataclass
class _Pulled:
    """What the org gave: the inventory, the plan made from it and the retrieved files."""

    inventory: Inventory
    plan: Plan
    got: Retrieved
    files: dict[str, bytes | BlobId]  # retrieved metadata files, normalised (or their blob ids)
    prepared: Preparer  # what was refused or kept as retrieved
    acc: Accounting
    tracking: dict[str, Any]  # meta["source_tracking"]: the counter this pull started from
    how: str  # how the inventory was made


def _pull_locked(config: Config, env: str, *, full: bool, progress: Progress | None,
                 connect: Connect | None,
                 store: SnapshotStore, registry: Registry | None, new_org: bool) -> PullResult:
    env_config = config.env(env)
    if not env_config.is_org:  # git ref or folder: converted, not retrieved
        return _from_source(materialize_env(config, env, store=store, registry=registry,
                                            progress=progress))
    registry = registry or default_registry()  # entry point: the CLI passes the Workspace's
    ride = RideAlong.of(registry)
    started, started_at = time.monotonic(), _utc_now()
    manifest = load_manifest(config.manifest, config.root, registry)
    previous = _Previous.read(store, migrate_folder_files(store, env, registry))
    client = _connect(config, env, connect, progress)
    refresh = check_org_identity(store, env, previous.commit, client.org_id, new_org=new_org)
    incremental = bool(previous.commit and not full and previous.index and refresh is None)
    pulled = _list_and_retrieve(config, env, client, store, registry, ride, manifest, previous,
                                incremental, progress)
    files, index, removed, warnings = _assemble(config, client, store, registry, ride, previous,
                                                pulled, incremental, progress)
    counts = Counter(ComponentId.parse(k).type for k in index
                     if registry.child(ComponentId.parse(k).type) is None)
    cost = {"list_calls": pulled.inventory.list_calls, "api_calls": getattr(client, "calls", 0),
            "retrieves": pulled.got.retrieves, "bytes_retrieved": pulled.got.bytes,
            "inventory": pulled.how}
    meta: dict[str, Any] = {  # the snapshot's meta.json
        "env": env, "org_id": client.org_id, "instance_url": client.instance_url,
        "api_version": config.api_version, "started": started_at.isoformat(timespec="seconds"),
        "finished": _utc_now().isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 3), "components": sum(counts.values()),
        "counts_by_type": dict(sorted(counts.items())), "skipped": pulled.got.skipped,
        "warnings": warnings, "incremental": incremental, "manifest": config.manifest,
        "retrieved": len(pulled.plan.members), "removed": len(pulled.plan.removed),
        "accounting": pulled.acc.to_json(),
    }
    if pulled.tracking:
        meta[tracking.META_KEY] = pulled.tracking
    if refresh is not None:
        meta[META_REFRESH] = refresh
    commit, changed = _record(store, env, previous, files, meta, removed, incremental,
                              refreshed=refresh is not None
                              or tracking.newly_verified(previous.meta, pulled.tracking),
                              skipped=bool(pulled.got.skipped))
    return PullResult(env=env, commit=commit, previous=previous.commit, changed=changed,
                      incremental=incremental, components=meta["components"],
                      counts_by_type=meta["counts_by_type"], retrieved=len(pulled.plan.members),
                      removed=len(pulled.plan.removed), skipped=pulled.got.skipped,
                      warnings=warnings, duration_s=meta["duration_s"],
                      retrieves=pulled.got.retrieves, org_id=client.org_id,
                      accounting=meta["accounting"], cost=cost)


def _from_source(done: Materialized) -> PullResult:
    """A git/dir environment's snapshot as a pull's result (everything counted retrieved)."""
    return PullResult(env=done.env, commit=done.commit, previous=done.previous,
                      changed=done.changed, incremental=False, components=done.components,
                      counts_by_type=done.counts_by_type, retrieved=done.components, removed=0,
                      warnings=done.warnings, duration_s=done.duration_s, org_id="")


def _connect(config: Config, env: str, connect: Connect | None,
             progress: Progress | None) -> PullClient:
    # Imported here, not at the top: the org client loads simple-salesforce and requests,
    # which every other command (and `sfenv --help`) would pay. No cycle hides here.
    from sfenv.io.org.client import connect as default_connect

    connect = connect or functools.partial(default_connect, timeout=config.pull.http_timeout_s,
                                           poll=config.pull.poll_interval,
                                           max_poll=config.pull.poll_max_interval)
    client = connect(config.env(env), config.api_version)
    if progress:
        progress.note(f"{env}: logged in to {client.instance_url} as {client.username}")
    return client


def _list(config: Config, client: PullClient, store: SnapshotStore, registry: Registry,
          manifest: Package, previous: _Previous, incremental: bool, progress: Progress | None) -> tuple[Inventory, dict[str, Any], str]:
    """The inventory, the source-tracking meta to record, and how the inventory was made.

    On an org with source tracking whose previous snapshot recorded a counter, an incremental
    pull lists only the types SourceMember names (see `sfenv.services.pull.tracking`)."""
    listing = tracking.plan_listing(client, registry, manifest.types, config.exclude,
                                    config.include_managed, previous.meta,
                                    incremental=incremental,
                                    verify_every=config.pull.verify_every,
                                    state_dir=store.git_dir)
    relist, recorded, how = listing.relist, listing.recorded, listing.how
    inventory = list_inventory(client, registry, manifest, exclude=config.exclude,
                               include_managed=config.include_managed,
                               parallel=config.pull.list_parallel, progress=progress,
                               relist=relist, carried=previous.index if relist is not None else None)
    return inventory, recorded, how


def _list_and_retrieve(config: Config, env: str, client: PullClient, store: SnapshotStore,
                       registry: Registry, ride: RideAlong, manifest: Package,
                       previous: _Previous, incremental: bool,
                       progress: Progress | None) -> _Pulled:
    """List, plan and retrieve; refuse a snapshot that would lose components silently."""
    inventory, recorded, how = _list(config, client, store, registry, manifest, previous,
                                     incremental, progress)
    if incremental:
        keep_known_present(inventory, previous.index)
    plan = make_plan(inventory, previous.index if incremental else None, registry, ride)
    # each chunk's files go to git as they arrive; only their blob ids are held
    with store.blob_sink(known=previous.paths.values()) as sink:
        prepared = Preparer(registry, sink)
        got = _retrieve(config, client, store, plan, ride, progress, prepared)
    if incremental and plan.profile_mode == "patch":
        keep.patch_profiles(got.files, store.read_blob, previous.paths, registry, ride,
                            set(inventory.top) | set(inventory.children))
    retrieved = prepared.finish(got.files)
    got.files = {}
    acc = account(inventory, plan.expected(ride), retrieved, got.skipped, registry)
    # listed but not sent: on the skip list, so a previous snapshot's content is kept (stale)
    got.skipped.extend({"component": cid, "reason": NOT_RETURNED} for cid in acc.missing)
    keep.refuse_losses(env, plan, ride, retrieved, got.skipped, registry, incremental, inventory,
                       previous.meta, ignore=acc.absent_known)
    return _Pulled(inventory, plan, got, retrieved, prepared, acc, recorded, how)


def _retrieve(config: Config, client: PullClient, store: SnapshotStore, plan: Plan,
              ride: RideAlong, progress: Progress | None, prepare: Preparer) -> Retrieved:
    """The plan's members in chunks (of the size that last worked for this org)."""
    size = chunkmemory.chunk_size(store.git_dir, client.org_id, config.pull.chunk_size)
    retriever = ChunkRetriever(client, ride=ride, size=size, parallel=config.pull.parallel,
                               poll=config.pull.poll_interval,
                               max_poll=config.pull.poll_max_interval,
                               timeout=config.pull.timeout_s, progress=progress,
                               prepare=prepare)
    chunks = plan_chunks(plan.members, plan.profiles, size, ride)
    got = retriever.run(chunks) if chunks else retriever.result
    if got.retrieves:
        chunkmemory.remember(store.git_dir, client.org_id, max(retriever.size, 1))
    return got


def _assemble(config: Config, client: PullClient, store: SnapshotStore, registry: Registry,
              ride: RideAlong, previous: _Previous, pulled: _Pulled, incremental: bool,
              progress: Progress | None) -> tuple[dict[str, bytes | BlobId], dict[str, Any], list[str], list[str]]:
    """The snapshot's files, its index, the previous paths it removes, and the warnings."""
    files = pulled.files
    if progress:
        progress.stage("normalizing and writing the snapshot", None)
    skipped = pulled.got.skipped
    skipped_ids = {s["component"] for s in skipped} | pulled.acc.dropped()
    index = {k: v for k, v in pulled.inventory.index().items() if k not in skipped_ids}
    side, side_warnings = org_side_files(client, config, _utc_now(), registry)
    files.update(side)
    warnings = pulled.inventory.warnings + pulled.acc.filter_warnings(pulled.got.warnings) + \
        pulled.prepared.kept_as_is + side_warnings + [
            f"refused {path}: no metadata type owns this path" for path in pulled.prepared.refused]
    removed: list[str] = []
    if previous.commit and not incremental:
        keep.keep_stale(store.read_blob, previous.paths, previous.index, skipped, files, index,
                        registry)
    if incremental:
        removed = keep.incremental_removals(pulled.plan, ride, previous.paths, previous.index,
                                            skipped, files, index, registry)
    if previous.commit:
        keep.keep_stale_profile_entries(store.read_blob, previous.paths, skipped, files, registry,
                                        ride)
    keys = list(index)
    if keys != sorted(keys):  # kept stale entries were appended
        index = dict(sorted(index.items()))
    del keys
    files[INDEX_PATH] = json_bytes(index)
    return files, index, removed, warnings


def _record(store: SnapshotStore, env: str, previous: _Previous,
            files: dict[str, bytes | BlobId],
            meta: dict[str, Any], removed: list[str], incremental: bool, *, refreshed: bool,
            skipped: bool) -> tuple[str, bool]:
    """Write the snapshot commit (ref moved by compare-and-swap); (commit, changed). A
    refresh or a stale member is recorded even when the tree did not change."""
    base = previous.commit if incremental else None
    tree = store.write_tree(files, base_commit=base, removed=removed) if incremental \
        else store.write_tree(files)
    if previous.commit and not refreshed and not skipped and tree == store.tree_of(previous.commit):
        return previous.commit, False
    commit = store.write_snapshot(env, files, meta, expected_old=previous.commit,
                                  base_commit=base, removed=removed)
    return commit, True


def _read_json(store: SnapshotStore, commit: str, path: str) -> Any:
    data = store.read_file(commit, path)
    return json.loads(data) if data else None


def backup_env(config: Config, env: str, *, tag: str | None = None,
               progress: Progress | None = None, connect: Connect | None = None, store: SnapshotStore | None = None,
               lock: EnvLock | None = None, reuse_unchanged: bool = False) -> BackupResult:
    """A pull plus an annotated tag `backup/<env>/<UTC time>` (or `tag`) on the snapshot it
    gives. A given name is checked before the pull: invalid or taken is refused (exit 2).
    `lock`: run under the caller's lock of `env`, as `pull_env`."""
    store = store or SnapshotStore(config.root)
    config.env(env)
    if tag is not None:
        check_tag_name(store, tag)
    with tracking.verifying():  # a backup never rests on rows source tracking carried
        result = pull_env(config, env, progress=progress, connect=connect, store=store,
                          lock=lock)
    kept = unchanged_backup(store, env, result.commit) if reuse_unchanged and not tag else None
    if kept:  # an unchanged org: no second tag on one snapshot
        return BackupResult(result, kept, store.env_ref(env))
    name = tag or free_default_tag(store, env, result.commit, _utc_now())
    store.tag(name, result.commit, annotation(env, result.components, named=tag is not None))
    return BackupResult(result, name, store.env_ref(env))
