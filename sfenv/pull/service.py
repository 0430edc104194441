"""`sfenv pull` and `sfenv backup`: an org's metadata -> a snapshot commit on its env ref.

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
`sfenv.pull.identity`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from sfenv.config.model import SHIPPED_MANIFESTS, Config
from sfenv.config.typenames import check_manifest_types
from sfenv.errors import ConfigError, OrgError, RequestLimitError, SessionExpiredError, StoreError
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.profiles import PROFILE_RELATED_TYPES, filter_profile, merge_profiles
from sfenv.metadata.registry import Registry, default_registry
from sfenv.pull.accounting import account
from sfenv.pull.groups import GROUP_MEMBERS_PATH, group_members
from sfenv.pull.identity import check_org_identity
from sfenv.pull.listing import Inventory, keep_known_present, list_inventory, load_manifest
from sfenv.pull.normalise import normalise_files
from sfenv.pull.retrieval import PROFILE, ChunkRetriever, plan_chunks
from sfenv.store.snapshots import EnvLock, SnapshotStore

INDEX_PATH = ".sfenv/components.json"
NOT_RETURNED = "listed by the org but not returned by the retrieve"
AUDIT_PATH = ".sfenv/audit-trail.json"


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
    skipped: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    retrieves: int = 0
    org_id: str = ""
    accounting: dict = field(default_factory=dict)  # see sfenv.pull.accounting

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class BackupResult:
    pull: PullResult
    tag: str
    ref: str

    def to_json(self) -> dict:
        return {"env": self.pull.env, "ref": self.ref, "commit": self.pull.commit, "tag": self.tag,
                "components": self.pull.components, "counts_by_type": self.pull.counts_by_type,
                "skipped": self.pull.skipped, "warnings": self.pull.warnings,
                "incremental": self.pull.incremental, "duration_s": self.pull.duration_s,
                "accounting": self.pull.accounting}


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _chunk_memory(store: SnapshotStore) -> dict:
    path = store.git_dir / "sfenv" / "chunk-size.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _remember_chunk(store: SnapshotStore, org_id: str, size: int) -> None:
    path = store.git_dir / "sfenv" / "chunk-size.json"
    path.parent.mkdir(exist_ok=True)
    memory = _chunk_memory(store)
    memory[org_id] = size
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(memory, indent=1, sort_keys=True))
    tmp.replace(path)


def pull_env(config: Config, env: str, *, full: bool = False, progress=None,
             connect=None, store: SnapshotStore | None = None,
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


def _pull_locked(config: Config, env: str, *, full: bool, progress, connect,
                 store: SnapshotStore, registry: Registry | None, new_org: bool) -> PullResult:
    from sfenv.org.client import connect as default_connect

    env_config = config.env(env)
    if not env_config.is_org:  # git ref or folder: converted, not retrieved
        from sfenv.source.materialize import materialize_env
        return materialize_env(config, env, store=store, registry=registry, progress=progress)
    registry = registry or default_registry()
    started = time.monotonic()
    started_at = _utc_now()
    previous = store.head(env)
    manifest = load_manifest(config.manifest, config.root)
    _check_manifest(config, manifest.types)
    connect = connect or functools.partial(default_connect, timeout=config.pull.http_timeout_s)
    client = connect(env_config, config.api_version)
    if progress:
        progress.note(f"{env}: logged in to {client.instance_url} as {client.username}")
    refresh = check_org_identity(store, env, previous, client.org_id, new_org=new_org)
    inventory = list_inventory(client, registry, manifest, exclude=config.exclude,
                               include_managed=config.include_managed,
                               parallel=config.pull.list_parallel, progress=progress)
    old_index, old_paths = ({}, {})
    if previous:
        old_index = _read_json(store, previous, INDEX_PATH) or {}
        old_paths = store.files(previous)
    incremental = bool(previous and not full and old_index and refresh is None)
    if incremental:
        keep_known_present(inventory, old_index)
    plan = _plan(inventory, old_index if incremental else None, registry)

    size = min(config.pull.chunk_size, _chunk_memory(store).get(client.org_id, config.pull.chunk_size))
    retriever = ChunkRetriever(client, size=size, parallel=config.pull.parallel,
                               poll=config.pull.poll_interval,
                               max_poll=config.pull.poll_max_interval,
                               timeout=config.pull.timeout_s, progress=progress)
    chunks = plan_chunks(plan.members, plan.profiles, size)
    got = retriever.run(chunks) if chunks else retriever.result
    if got.retrieves:
        _remember_chunk(store, client.org_id, max(retriever.size, 1))

    if incremental and plan.profile_mode == "patch":
        previous_profiles = {p: store.read_blob(b) for p, b in old_paths.items()
                             if registry.component_of(p) is not None
                             and registry.component_of(p).type == PROFILE}
        current = set(inventory.top) | set(inventory.children)
        _patch_profiles(got.files, previous_profiles, current)
    retrieved, refused = only_metadata(got.files, registry)
    acc = account(inventory, [*plan.members, *(ComponentId(PROFILE, p) for p in plan.profiles)],
                  retrieved, got.skipped, registry)
    # listed but not sent: on the skip list, so a previous snapshot's content is kept (stale)
    got.skipped.extend({"component": cid, "reason": NOT_RETURNED} for cid in acc.missing)
    _refuse_losses(env, plan, retrieved, got.skipped, registry, incremental, inventory,
                   store.meta(previous) if previous else None, ignore=acc.absent_known)
    files, kept_as_is = normalise_files(retrieved, registry)
    if progress:
        progress.stage("normalizing and writing the snapshot", None)
    skipped_ids = {s["component"] for s in got.skipped} | acc.dropped()
    index = {k: v for k, v in inventory.index().items() if k not in skipped_ids}
    files[INDEX_PATH] = _json_bytes(index)
    audit_rows, audit_warning = _audit(client, config)
    files[AUDIT_PATH] = _json_bytes(audit_rows)
    members, members_warning = group_members(client)
    files[GROUP_MEMBERS_PATH] = _json_bytes(members)
    warnings = inventory.warnings + acc.filter_warnings(got.warnings) + kept_as_is + [
        w for w in (audit_warning, members_warning) if w] + [
        f"refused {path}: no metadata type owns this path" for path in refused]

    removed: list[str] = []
    if not incremental and previous:
        _keep_stale(store, previous, old_paths, old_index, got.skipped, files, index, registry)
        files[INDEX_PATH] = _json_bytes(dict(sorted(index.items())))
    if incremental:
        owner_of = {p: registry.component_of(p) for p in old_paths if not p.startswith(".sfenv/")}
        stale = plan.replaced | plan.removed
        if plan.profiles:
            stale |= {cid for cid in owner_of.values() if cid and cid.type == PROFILE}
        removed = sorted(p for p, cid in owner_of.items() if cid in stale and p not in files)
        # skipped members keep their previous content rather than vanishing
        for skipped in got.skipped:
            cid = ComponentId.parse(skipped["component"])
            for path, owner in owner_of.items():
                if owner == cid and path in removed:
                    removed.remove(path)
            if str(cid) in old_index:
                index[str(cid)] = old_index[str(cid)]
                skipped["stale"] = True
        files[INDEX_PATH] = _json_bytes(dict(sorted(index.items())))
    if previous:
        _keep_stale_profile_entries(store, old_paths, got.skipped, files, registry)

    counts = Counter(ComponentId.parse(k).type for k in index
                     if registry.child(ComponentId.parse(k).type) is None)
    finished = time.monotonic()
    meta = {
        "env": env, "org_id": client.org_id, "instance_url": client.instance_url,
        "api_version": config.api_version, "started": started_at.isoformat(timespec="seconds"),
        "finished": _utc_now().isoformat(timespec="seconds"),
        "duration_s": round(finished - started, 3), "components": sum(counts.values()),
        "counts_by_type": dict(sorted(counts.items())), "skipped": got.skipped,
        "warnings": warnings, "incremental": incremental, "manifest": config.manifest,
        "retrieved": len(plan.members), "removed": len(plan.removed),
        "accounting": acc.to_json(),
    }
    if refresh is not None:
        meta["refresh"] = refresh
    if incremental:
        tree = store.write_tree(files, base_commit=previous, removed=removed)
    else:
        tree = store.write_tree(files)
    # a refresh or a stale member is recorded even when the tree did not change
    if previous and refresh is None and not got.skipped and tree == store.tree_of(previous):
        commit, changed = previous, False
    else:
        commit = store.write_snapshot(env, files, meta, expected_old=previous,
                                      base_commit=previous if incremental else None,
                                      removed=removed)
        changed = True
    return PullResult(env=env, commit=commit, previous=previous, changed=changed,
                      incremental=incremental, components=meta["components"],
                      counts_by_type=meta["counts_by_type"], retrieved=len(plan.members),
                      removed=len(plan.removed), skipped=got.skipped, warnings=warnings,
                      duration_s=meta["duration_s"], retrieves=got.retrieves, org_id=client.org_id,
                      accounting=meta["accounting"])


@dataclass
class _Plan:
    members: list[ComponentId]  # top-level, non-profile members to retrieve
    profiles: list[str]  # profiles to retrieve (with related types riding along)
    replaced: set[ComponentId]  # components whose old files are replaced
    removed: set[ComponentId]  # components gone from the org
    # "full": profiles come back complete (retrieved with every related component);
    # "patch": no profile changed, only related components came or went: the retrieved pieces
    # (entries for the retrieved members) are merged over the previous files
    profile_mode: str = "full"


def _plan(inventory: Inventory, old_index: dict | None, registry: Registry) -> _Plan:
    all_profiles = sorted(c.full_name for c in inventory.top if c.type == PROFILE)
    non_profile = [c for c in inventory.top if c.type != PROFILE]
    if old_index is None:
        return _Plan(non_profile, all_profiles, set(), set())

    def moved(cid: ComponentId, props: dict) -> bool:
        old = old_index.get(str(cid))
        return old is None or old.get("lastModifiedDate") != props.get("lastModifiedDate")

    old_ids = {ComponentId.parse(k) for k in old_index}
    new_ids = set(inventory.top) | set(inventory.children)
    refreshed = registry.always_refreshed()
    changed_parents: set[ComponentId] = set()
    for cid, props in inventory.children.items():
        if moved(cid, props):
            changed_parents.add(registry.parent_id(cid))
    for cid in old_ids - new_ids:
        if registry.child(cid.type) is not None:
            changed_parents.add(registry.parent_id(cid))
    members = {c for c in non_profile
               if moved(c, inventory.top[c]) or c in changed_parents
               or c.type in refreshed}
    removed = {c for c in old_ids - new_ids if registry.child(c.type) is None}

    related_churn = any(registry.parent_id(c).type in PROFILE_RELATED_TYPES
                        or c.type in PROFILE_RELATED_TYPES for c in new_ids ^ old_ids)
    profile_changed = (any(moved(c, inventory.top[c]) for c in inventory.top if c.type == PROFILE)
                       or any(c.type == PROFILE for c in removed))
    if profile_changed:
        # an edited profile only comes out complete with every related component beside it
        related = {c for c in non_profile if c.type in PROFILE_RELATED_TYPES}
        members |= related
        return _Plan(sorted(members), all_profiles, members, removed, "full")
    if related_churn:
        return _Plan(sorted(members), all_profiles, members, removed, "patch")
    return _Plan(sorted(members), [], members, removed, "full")


def _check_manifest(config: Config, types: dict) -> None:
    """ConfigError (exit 2) naming unknown types: never an empty snapshot from a typo."""
    if config.manifest in SHIPPED_MANIFESTS:
        return  # shipped manifests may name types newer than the registry: listed if the org has them
    path = config.root / config.manifest
    problem = check_manifest_types(list(types), str(path), path.read_text("utf-8", "replace"))
    if problem:
        raise ConfigError(problem)


def only_metadata(files: dict[str, bytes], registry: Registry) -> tuple[dict[str, bytes], list[str]]:
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


def _refuse_losses(env: str, plan: _Plan, retrieved: dict[str, bytes], skipped: list[dict],
                   registry: Registry, incremental: bool, inventory: Inventory,
                   previous_meta: dict | None, *, ignore: set[ComponentId] = frozenset()) -> None:
    """OrgError (ref unmoved) when the snapshot would lose what the skip list does not name
    (`ignore`: known names the org does not have, such as absent standard value sets)."""
    previous_count = int((previous_meta or {}).get("components") or 0)
    if not incremental and not inventory.top and previous_count:
        raise OrgError(f"{env}: the org listed no components (the last snapshot has "
                       f"{previous_count}); snapshot not written, the ref is unmoved")
    wanted = len(plan.members) + len(plan.profiles)
    if not incremental and wanted and not retrieved:
        raise OrgError(f"{env}: a full pull of {wanted} components retrieved nothing "
                       f"({len(skipped)} skipped); snapshot not written, the ref is unmoved")
    owners = {registry.component_of(path) for path in retrieved}
    named = {s["component"] for s in skipped}
    expected = [*plan.members, *(ComponentId(PROFILE, p) for p in plan.profiles)]
    lost = [str(c) for c in expected
            if c not in owners and str(c) not in named and c not in ignore]
    if lost:
        raise OrgError(f"{env}: {len(lost)} listed components came back without files "
                       f"(e.g. {', '.join(lost[:3])}); snapshot not written, the ref is unmoved")


def _keep_stale(store: SnapshotStore, previous: str, old_paths: dict[str, str],
                old_index: dict, skipped: list[dict], files: dict[str, bytes],
                index: dict, registry: Registry) -> None:
    """A full pull keeps a skipped member's previous files and index entry, marked stale, so
    the next diff does not read a member Salesforce failed to return as deleted."""
    for entry in skipped:
        cid = ComponentId.parse(entry["component"])
        paths = [p for p in old_paths if not p.startswith(".sfenv/")
                 and registry.component_of(p) == cid]
        for path in paths:
            files.setdefault(path, store.read_blob(old_paths[path]))
        if str(cid) in old_index:
            index[str(cid)] = old_index[str(cid)]
        if paths:
            entry["stale"] = True


def _keep_stale_profile_entries(store: SnapshotStore, old_paths: dict[str, str],
                                skipped: list[dict], files: dict[str, bytes],
                                registry: Registry) -> None:
    """Profiles retrieved without a stale member hold no entries for it (nor for its fields):
    keep the previous profile's entries for it, so no permission reads as revoked."""
    stale = {ComponentId.parse(s["component"]) for s in skipped if s.get("stale")}
    if not stale:
        return
    for path, data in list(files.items()):
        owner = registry.component_of(path)
        if owner is None or owner.type != PROFILE or path not in old_paths:
            continue
        kept = filter_profile(store.read_blob(old_paths[path]), stale, source=path)
        files[path] = merge_profiles([data, kept], source=path)


def _patch_profiles(files: dict[str, bytes], previous: dict[str, bytes],
                    current: set[ComponentId]) -> None:
    """Unchanged profiles, after components came or went: keep their previous permissions for
    components still there, and take the retrieved entries (the new components') over them."""
    for path, old in previous.items():
        kept = filter_profile(old, current, source=path)
        files[path] = merge_profiles([files[path], kept], source=path) if path in files else kept


def _audit(client, config: Config) -> tuple[list[dict], str | None]:
    since = (_utc_now() - dt.timedelta(days=config.pull.audit_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        return client.audit_trail(since=since), None
    except (RequestLimitError, SessionExpiredError):
        raise  # the pull stops: a snapshot without its audit trail would hide who changed what
    except OrgError as err:
        return [], f"SetupAuditTrail not read: {err}"


def _read_json(store: SnapshotStore, commit: str, path: str):
    data = store.read_file(commit, path)
    return json.loads(data) if data else None


def _json_bytes(value) -> bytes:
    if isinstance(value, dict):
        lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in value.items()]
        return ("{\n" + ",\n".join(lines) + "\n}\n").encode() if lines else b"{}\n"
    return (json.dumps(value, indent=1, sort_keys=True) + "\n").encode()


def backup_env(config: Config, env: str, *, tag: str | None = None, progress=None,
               connect=None, store: SnapshotStore | None = None,
               lock: EnvLock | None = None) -> BackupResult:
    """A pull plus an annotated tag `backup/<env>/<UTC time>` (or `tag`) on the snapshot it
    gives. A given name is checked before the pull: invalid or taken is refused (exit 2).
    `lock`: run under the caller's lock of `env`, as `pull_env`."""
    from sfenv.pull.backups import MESSAGE, check_tag_name, default_tag

    store = store or SnapshotStore(config.root)
    config.env(env)
    if tag is not None:
        check_tag_name(store, tag)
    result = pull_env(config, env, progress=progress, connect=connect, store=store, lock=lock)
    name = tag or default_tag(env, _utc_now())
    if tag is None and name in store.tags(name):  # two backups within one second
        name = f"{name}-{result.commit[:7]}"
    store.tag(name, result.commit, f"{MESSAGE}{env} ({result.components} components)")
    return BackupResult(result, name, store.env_ref(env))
