"""Plan and build a release train: one immutable, versioned artifact built once from the
changes between two snapshots and committed on the releases ref (never the working tree).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfenv.core.compare import diff as compare_diff
from sfenv.core.compare.audit_match import granted
from sfenv.core.compare.counts import package
from sfenv.core.compare.model import Attribution, Change
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.compare.origins import origin_by, read_origins
from sfenv.core.compare.status import deleted_by
from sfenv.core.metadata.ids import ID_ORDER, ComponentId
from sfenv.core.metadata.package_xml import parse_package
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.ziputil import write_zip
from sfenv.errors import ReleaseError
from sfenv.services.train import dependencies as deps
from sfenv.services.train.envvalues import NeutralTree, declared_names, placeholders_in, side_values
from sfenv.services.train.inventory import Inventory
from sfenv.services.train.model import (
    BuiltTrain,
    DependencyProblem,
    Item,
    Limits,
    PackageFiles,
    ReleasePlan,
    Wave,
    overwrite_line,
)
from sfenv.services.train.notes import release_notes
from sfenv.services.train.package import (
    Unit,
    assemble,
    digest,
    hold_unpackageable,
    manual_type_names,
    select,
    split_manual,
)
from sfenv.services.train.trees import StoreTree
from sfenv.services.train.waves import split

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore


RELEASES_REF = "refs/heads/sfenv/releases"
TRAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def current_user(root: Path | None = None) -> str:
    """`git config user.name`, else $USER: who to write in logs and notes."""
    try:
        out = subprocess.run(["git", "config", "user.name"], cwd=root or None, capture_output=True,
                             text=True, timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def check_name(train: str) -> str:
    if not TRAIN_NAME.match(train) or ".." in train or train.endswith(".lock"):
        raise ReleaseError(f"invalid train name {train!r}: use letters, digits, '.', '_', '-'")
    return train


def train_folder(train: str) -> str:
    return f"releases/{check_name(train)}/"


# -- endpoints --------------------------------------------------------------------------------

def _env_head(store: SnapshotStore, env: str) -> str:
    commit = store.head(env)
    if commit is None:
        raise ReleaseError(f"no snapshot of {env} yet: run `sfenv pull {env}` first")
    return commit


def resolve_source(config: Config, store: SnapshotStore, spec: str) -> str:
    if spec in config.environments:
        return _env_head(store, spec)
    return store.resolve(spec)


def default_hop(config: Config, source: str | None, target: str | None) -> tuple[str, str]:
    """The first hop of the path unless told otherwise; `--to` alone takes its upstream stage."""
    if source is None and target is None:
        hops = config.hops()
        if not hops:
            raise ReleaseError(f"{config.file}: the promotion path needs two stages to release")
        return hops[0]
    if source is None:
        upstream = config.upstream_of(target)
        if not upstream:
            raise ReleaseError(f"{target} is the first stage of the path: say --from")
        return upstream[0], target  # type: ignore[return-value]
    if target is None:
        if source in config.environments:
            index = config.stage_index(source)
            if index + 1 < len(config.stages):
                return source, config.stages[index + 1][0]
        raise ReleaseError(f"no stage after {source} on the path: say --to")
    return source, target


# -- scope ------------------------------------------------------------------------------------

@dataclass
class Scope:
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    manifest: Path | None = None
    with_dependencies: bool = False

    def members(self, registry: Registry) -> dict[str, list[str]] | None:
        """The --manifest's types and members, its type names checked against `registry`."""
        if self.manifest is None:
            return None
        try:
            data = Path(self.manifest).read_bytes()
        except OSError as err:
            raise ReleaseError(f"{self.manifest}: cannot read ({err.strerror})") from None
        return parse_package(data, str(self.manifest), registry=registry).types

    def to_dict(self) -> dict[str, Any]:
        return {"include": list(self.include), "exclude": list(self.exclude),
                "manifest": str(self.manifest) if self.manifest else None,
                "with_dependencies": self.with_dependencies}


@dataclass
class Prepared:
    """Everything plan and build compute, before anything is written."""

    source: str
    source_commit: str
    target: str
    target_commit: str
    changes: list[Change]  # packaged (with pulled-in dependencies)
    manual: list[Change]
    problems: list[DependencyProblem]
    pulled: list[str]
    pkg: PackageFiles
    units: list[Unit]
    needs: dict[ComponentId, set[ComponentId]]
    waves: list[tuple[Wave, dict[str, bytes]]]
    index: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    placeholders: dict[str, list[str]] = field(default_factory=dict)  # name -> components
    # who really made what a promotion brought into the source (`refs/sfenv/origins/<SRC>`)
    origins: dict[str, dict] = field(default_factory=dict)
    source_audit: list[dict] = field(default_factory=list)  # the source's SetupAuditTrail rows


def prepare(config: Config, store: SnapshotStore, *, source: str | None, target: str | None,
            scope: Scope, registry: Registry,
            limits: Limits | None = None) -> Prepared:
    source, target = default_hop(config, source, target)
    config.env(target)
    source_commit = resolve_source(config, store, source)
    target_commit = _env_head(store, target)
    # declared env values are neutralised on both sides, as `sfenv status` does: a component
    # that differs only there is not a change, and the package carries placeholders
    source_env, target_env = config.environments.get(source), config.environments.get(target)
    diff = compare_diff.diff_commits(store, target_commit, source_commit, registry=registry,
                                     neutralize=Neutralizer.for_envs(target_env, source_env),
                                     a_name=target, b_name=source)
    changes = select(diff.changes, include=scope.include, exclude=scope.exclude,
                     members=scope.members(registry), registry=registry)
    packaged, manual = split_manual(changes, manual_type_names(config.manual_types, registry))
    packaged, held = hold_unpackageable(packaged, registry)
    manual += held
    # deleting a class (field, page…) removes every profile and permission set entry that
    # grants it: those are neither deployed nor a step for a person (as `sfenv checklist`)
    deleted = {c.component for c in packaged if c.kind == "removed"}
    manual = [c for c in manual if c.kind != "removed" or granted(c.component, registry) not in deleted]
    source_tree = StoreTree(store, source_commit)
    target_inv = Inventory(StoreTree(store, target_commit), registry)
    pulled: list[str] = []
    if scope.with_dependencies:
        packaged, pulled = deps.with_dependencies(packaged, Inventory(source_tree, registry),
                                                  target_inv, target, registry)
    needs = deps.needs_of(packaged, registry)
    problems = deps.check(packaged, target_inv, target, registry, needs)
    source_side = side_values(source_env)
    pkg, units = assemble(packaged, NeutralTree(source_tree, source_side), registry,
                          config.api_version, target_has=target_inv.has)
    waves = split(pkg, units, needs, limits or Limits(), registry, config.api_version)
    placeholders = placeholders_in(pkg.src(), declared_names(source_side, source_env), registry)
    origins = read_origins(store, source) if source in config.environments else {}
    removals = any(c.kind == "removed" for c in (*packaged, *manual))
    return Prepared(source, source_commit, target, target_commit, packaged, manual, problems,
                    pulled, pkg, units, needs, waves,
                    compare_diff.component_index(store, source_commit), placeholders, origins,
                    compare_diff.audit_rows(store, source_commit) if removals else [])


def _item(change: Change, prep: Prepared, registry: Registry) -> Item:
    """The component with its author upstream, as `sfenv status` names it: a change a
    promotion brought into the source is credited to who made it (the origins record), not to
    the deploy user; a deletion to who deleted it, never to the deleted file's last modifier."""
    if change.kind == "removed":
        gone = deleted_by(change, prep.origins, prep.source_audit)
        return Item(str(change.component), change.kind, change.path,
                    gone.last_modified_by if gone else None,
                    gone.last_modified_date if gone else None)
    owner = change.parent or registry.parent_id(change.component)
    entry = prep.index.get(str(change.component)) or prep.index.get(str(owner)) or {}
    by = Attribution(entry.get("lastModifiedByName") or change.new_by.last_modified_by,
                     entry.get("lastModifiedDate") or change.new_by.last_modified_date)
    # an entry the train did not carry falls back to its container's record (a permission set
    # deployed whole keeps the target's own entries with their author, not the deploy user)
    by = origin_by(change.component, change.parent or owner, by, prep.origins)
    return Item(str(change.component), change.kind, change.path, by.last_modified_by,
                by.last_modified_date)


def direction(config: Config, source: str, target: str) -> tuple[str | None, bool]:
    """(warning, backwards) for a train from `source` to `target`: a target that is not the
    next stage after the source is worth a warning; one upstream of it is refused unless the
    train is a hotfix. A source that is a ref, or an environment off the path, is not judged."""
    stages = [env for stage in config.stages for env in stage]
    if source not in stages or target not in stages:
        return None, False
    here, there = config.stage_index(source), config.stage_index(target)
    if there < here:
        return (f"{target} is upstream of {source} on the path: a train runs "
                f"{' → '.join('/'.join(s) for s in config.stages)}"), True
    if there == here:
        return f"{target} is in the same stage as {source}, not the next one", False
    if there > here + 1:
        skipped = [e for stage in config.stages[here + 1:there] for e in stage]
        return (f"{target} is not the next stage after {source}: it skips "
                f"{', '.join(skipped)} (promoting it will need --hotfix)"), False
    return None, False


def _check_direction(config: Config, prep: Prepared, hotfix: bool) -> list[str]:
    warning, backwards = direction(config, prep.source, prep.target)
    if backwards and not hotfix:
        raise ReleaseError(warning + "; a backwards train needs --hotfix")
    return [warning] if warning else []


def plan(config: Config, store: SnapshotStore, train: str, *, source: str | None = None,
         target: str | None = None, scope: Scope | None = None,
         registry: Registry | None = None, limits: Limits | None = None,
         hotfix: bool = False) -> ReleasePlan:
    """What a build would package, like `terraform plan`: nothing is written. Lists the
    target's own changes the train would overwrite (drift or conflict on the hop)."""
    check_name(train)
    registry = registry or default_registry()  # entry point: the CLI passes the Workspace's
    prep = prepare(config, store, source=source, target=target, scope=scope or Scope(),
                   registry=registry, limits=limits)
    warnings = _check_direction(config, prep, hotfix)
    result = _plan_of(train, prep, registry)
    result.warnings = warnings
    result.conflicts = overwritten(config, store, prep, registry)
    return result


def overwritten(config: Config, store: SnapshotStore, prep: Prepared,
                registry: Registry) -> list[dict]:
    """The train's components that the target changed itself (drift or conflict against
    the hop's bases): {component, status, by, date, reason}."""
    from sfenv.core.compare.status import classify_hop

    if prep.source not in config.environments:
        return []
    ids = {c.component for c in prep.changes}
    out = []
    for entry in classify_hop(store, config, prep.source, prep.target, prep.source_commit,
                              prep.target_commit, registry=registry):
        if entry.status == "pending" or entry.change.component not in ids:
            continue
        by = entry.target_by or (entry.target_change.new_by if entry.target_change
                                 else entry.change.old_by)
        out.append({"component": str(entry.change.component), "status": entry.status,
                    "by": by.last_modified_by, "date": by.last_modified_date,
                    "reason": entry.reason, "change": entry.change.kind})
    return out


def _plan_of(train: str, prep: Prepared, registry: Registry) -> ReleasePlan:
    left_out = {f.entry for f in prep.pkg.entries if not f.deployed}  # listed on their own
    items = [_item(c, prep, registry)
             for c in sorted(prep.changes, key=lambda c: ID_ORDER(c.component))
             if str(c.component) not in left_out]
    members = prep.pkg.zip_members()
    return ReleasePlan(
        train=train, source=prep.source, source_commit=prep.source_commit, target=prep.target,
        target_commit=prep.target_commit,
        adds=[i for i in items if i.kind == "added"],
        changes=[i for i in items if i.kind == "modified"],
        deletes=[i for i in items if i.kind == "removed"],
        manual=[_item(c, prep, registry)
                for c in sorted(prep.manual, key=lambda c: ID_ORDER(c.component))],
        dependency_problems=prep.problems, files=len(members),
        bytes=sum(map(len, members.values())), waves=len(prep.waves),
        pre_deletes=[str(c) for c in prep.pkg.pre_deleted], pulled_in=prep.pulled,
        placeholders=prep.placeholders,
        entries=[f.entry for f in prep.pkg.entries if f.deployed],
        entries_left_out=[str(f) for f in prep.pkg.entries if not f.deployed])


# -- the releases ref -------------------------------------------------------------------------

def releases_head(store: SnapshotStore) -> str | None:
    return store.ref_commit(RELEASES_REF)


def train_files(store: SnapshotStore, train: str, head: str | None = None) -> dict[str, str]:
    """path (relative to the train folder) -> blob id, on the releases ref."""
    head = head or releases_head(store)
    if head is None:
        return {}
    prefix = train_folder(train)
    return {p[len(prefix):]: sha for p, sha in store.files(head).items() if p.startswith(prefix)}


def load_train(store: SnapshotStore, train: str) -> BuiltTrain:
    head = releases_head(store)
    data = store.read_file(head, train_folder(train) + "train.json") if head else None
    if not data:
        raise ReleaseError(f"no release train {train}: build it with `sfenv release build {train}`")
    built = BuiltTrain.from_json(json.loads(data))
    built.commit = head or ""
    built.tag = f"release/{train}"
    return built


def list_trains(store: SnapshotStore, record: str = "train.json") -> list[str]:
    """The trains whose folder on the releases ref holds `record` (`train.json`: built;
    `log.json`: with a promotion log)."""
    head = releases_head(store)
    if head is None:
        return []
    return sorted({p.split("/")[1] for p in store.files(head)
                   if p.startswith("releases/") and p.endswith("/" + record)
                   and p.count("/") == 2})


def commit_files(store: SnapshotStore, files: dict[str, bytes], message: str, *,
                 removed: Sequence[str] = ()) -> str:
    """Add files to the releases ref (incremental over its head); retried if another writer won."""
    from sfenv.errors import StoreError

    for _ in range(3):
        head = releases_head(store)
        gone = [p for p in removed if head and p in store.files(head) and p not in files]
        try:
            return store.write_ref_commit(RELEASES_REF, files, message, expected_old=head,
                                          base_commit=head, removed=gone)
        except StoreError:
            if releases_head(store) == head:
                raise
    raise ReleaseError(f"{RELEASES_REF} keeps moving: try again")


def export(config: Config, train: str, files: dict[str, bytes],
           removed: Sequence[str] = ()) -> Path:
    """Copy the train's files into `<root>/releases/<TRAIN>/` for people to read; a folder
    that cannot be written is a one-line ReleaseError."""
    folder = Path(config.root) / "releases" / train
    try:
        for rel in removed:
            path = folder / rel
            if path.is_file():
                path.unlink()
        for rel, data in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except OSError as err:
        raise ReleaseError(f"{folder}: cannot write the train's folder "
                           f"({err.strerror or err})") from None
    return folder


def restore_folder(config: Config, store: SnapshotStore, train: str, on_ref: dict[str,
                   str]) -> Path | None:
    """Write the train's folder again from the releases ref when its package is missing on
    disk (a build interrupted after its commit); None when the folder is there."""
    folder = Path(config.root) / "releases" / train
    wanted = [p for p in on_ref if p in ("package.zip", "train.json") or p.startswith("waves/")]
    if all((folder / p).is_file() for p in wanted):
        return None
    blobs = store.read_blobs(on_ref.values())
    return export(config, train, {p: blobs[sha] for p, sha in on_ref.items()})


# -- build ------------------------------------------------------------------------------------

def _changes_json(changes: Sequence[Change], registry: Registry) -> bytes:
    out: dict[str, dict[str, list[str]]] = {"add": {}, "modify": {}, "delete": {}}
    key = {"added": "add", "modified": "modify", "removed": "delete"}
    for c in changes:
        out[key[c.kind]].setdefault(c.component.type, []).append(c.component.full_name)
    for kinds in out.values():
        for names in kinds.values():
            names.sort()
    return (json.dumps(out, indent=2, sort_keys=True) + "\n").encode()


def build(config: Config, store: SnapshotStore, train: str, *, source: str | None = None,
          target: str | None = None, scope: Scope | None = None, force: bool = False,
          registry: Registry | None = None, limits: Limits | None = None,
          hotfix: bool = False) -> BuiltTrain:
    """Build the train, commit it on the releases ref, tag it `release/<TRAIN>`, export it."""
    check_name(train)
    registry = registry or default_registry()  # entry point: the CLI passes the Workspace's
    scope = scope or Scope()
    existing = train_files(store, train)
    if "train.json" in existing and not force:
        restored = restore_folder(config, store, train, existing)
        raise ReleaseError(f"release train {train} is already built (trains are immutable; "
                           f"use a new name, or --force to rebuild it)"
                           + (f"; its folder was missing and is written again: {restored}"
                              if restored else ""))
    prep = prepare(config, store, source=source, target=target, scope=scope, registry=registry,
                   limits=limits)
    warnings = _check_direction(config, prep, hotfix)
    deps.raise_for(prep.problems)
    if not prep.changes and not prep.manual:
        raise ReleaseError(f"nothing to release from {prep.source} to {prep.target}: "
                           f"they hold the same components")

    files: dict[str, bytes] = dict(prep.pkg.files)
    if len(prep.waves) == 1:
        files["package.zip"] = write_zip(prep.waves[0][1])
    else:
        for wave, members in prep.waves:
            files[f"waves/{wave.number}/package.zip"] = write_zip(members)
            for name in ("package.xml", "destructiveChangesPre.xml", "destructiveChangesPost.xml"):
                if name in members:
                    files[f"waves/{wave.number}/{name}"] = members[name]
    plan_ = _plan_of(train, prep, registry)
    created = now_iso()
    members = prep.pkg.zip_members()
    built = BuiltTrain(
        name=train, source=prep.source, source_commit=prep.source_commit, target=prep.target,
        target_commit=prep.target_commit, created=created, created_by=current_user(config.root),
        digest=digest(members), components=[str(c) for c in prep.pkg.deployed],
        deletes=[str(c) for c in prep.pkg.deleted], manual=[i.component for i in plan_.manual],
        waves=[w for w, _ in prep.waves], files=len(members),
        bytes=sum(map(len, members.values())), scope=scope.to_dict(),
        pulled_in=prep.pulled, placeholders=prep.placeholders,
        env_commits={env: head for env in sorted(config.environments)
                     if (head := store.head(env)) is not None},
        hops={b: a for a, b in reversed(config.hops())},
        entries_left_out=plan_.entries_left_out)
    known = overwritten(config, store, prep, registry)
    if known:  # promote refuses them unless named: say so now, and keep them with the train
        built.known_conflicts = {prep.target: known}
        warnings += [f"{overwrite_line(prep.target, c)}; `release promote` refuses unless "
                     f"--overwrite names it" for c in known]
    files["changes.json"] = _changes_json(prep.changes, registry)
    files["RELEASE_NOTES.md"] = release_notes(built, plan_).encode()
    files["train.json"] = (json.dumps(built.train_json(), indent=2, sort_keys=True) + "\n").encode()

    folder = train_folder(train)
    stale = [folder + p for p in existing if p not in files and not p.startswith(("log.json", "rollback/"))]
    # the folder first: a build that cannot write it stops before anything is committed
    built.folder = str(export(config, train, files, [p[len(folder):] for p in stale]))
    commit = commit_files(store, {folder + p: b for p, b in files.items()},
                          f"sfenv release build {train}: "
                          f"{package(len(built.components) + len(built.deletes), len(built.deletes))}"
                          f"\n\n{built.digest}\n", removed=stale)
    tag = f"release/{train}"
    if force and store.ref_commit(f"refs/tags/{tag}"):
        store.git.run(["tag", "-d", tag])
    store.tag(tag, commit, f"sfenv release {train} ({built.digest})")
    built.commit, built.tag = commit, tag
    built.warnings = warnings
    return built
