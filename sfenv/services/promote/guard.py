"""The guard before every deploy: what a promotion would overwrite that the target changed
itself, at the level the diff works (components, their children, permission entries).

The train's changes are taken against the target's fresh pre-deploy backup. A change the
train makes (it carries the component or child, deletes it, or replaces the container a
permission entry lives in) is a conflict when the target changed it on its own:

- since the train was planned (`reference_commit`: the target's snapshot at the build);
- or before, as the hop into the target classifies it (drift or conflict against the hop's
  sync point, or two-way without one): known drift, such as a production hotfix already in
  the target's snapshot at build time, is named like a change made after the build;
- or as stored with the train at build time (`BuiltTrain.known_conflicts`, the plan's
  warnings);
- with no snapshot of the target before the backup: where the fresh target differs from the
  source's base (its snapshot at the hop's last sync, else its first snapshot), the target
  holds something the source never had.

A re-promotion of a train already there overwrites nothing (its changes against the fresh
backup are empty). `--overwrite TYPE:NAME` names one conflict exactly: `CustomObject:X` covers
X's own elements, never a field or rule of X.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sfenv.core.compare import diff as compare_diff
from sfenv.core.compare.counts import counted
from sfenv.core.compare.model import Change
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.compare.origins import attributed, read_origins
from sfenv.core.compare.status import (
    SYNC_FILE,
    classify_hop,
    origin,
    sync_point,
    sync_ref,
    utc_key,
)
from sfenv.core.metadata.registry import Registry
from sfenv.errors import StoreError
from sfenv.services.promote.guard_parts import (
    Conflict,
    affected,
    hand_conflict,
    reference_commit,
)
from sfenv.services.promote.stages import last_rollback_into
from sfenv.services.train.model import BuiltTrain

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore


def conflicts(store: SnapshotStore, built: BuiltTrain, reference: str, fresh: str,
              train_changes: list[Change], src: dict[str, bytes],
              registry: Registry, env: str | None = None) -> list[Conflict]:
    """Components the target changed between `reference` and `fresh` that the train (its
    `train_changes` against `fresh`, its files `src`) would overwrite. With `env`, a change
    a promotion or rollback brought is credited to its recorded author (the org names the
    deploy user), as status does."""
    if reference == fresh:
        return []
    origins = read_origins(store, env) if env else {}
    since = {c.component: attributed(c, origins) for c in compare_diff.diff_commits(
        store, reference, fresh, registry=registry).changes}
    return [hand_conflict(since[c.component], "changed after the build")
            for c in affected(train_changes, built, src, registry) if c.component in since]


def since_promotion(store: SnapshotStore, built: BuiltTrain, env: str, reference: str,
                    config: Config | None) -> str:
    """The reference for "changed after the build": the target's snapshot at the build, or
    its snapshot right after a later promotion into it (another train's change is the release
    process, not the target's own; hand changes it left are drift of its sync point), or its
    refresh snapshot when it was refreshed after the build (a refreshed org is a new copy: what
    differs is classified from the refresh on), or its snapshot right after a rollback in it
    finished after the build (the release process too, not a hand change).

    "After" is read on the target's own history first (`_later`): dates are to the second,
    and a sync point recorded in the build's second but before a pull the build saw was
    taken for a later one (the plan-time refusals it drops were lost)."""

    chosen, when = reference, utc_key(built.created)
    upstream = hop_into(built, env, config)
    if upstream is not None:
        try:
            point = sync_point(store, upstream, env)
        except StoreError:
            point = None
        if point and _later(store, str(point["b_commit"]), utc_key(str(point.get("when") or "")),
                            chosen, when):
            chosen, when = str(point["b_commit"]), utc_key(str(point.get("when") or ""))
    rollback = last_rollback_into(store, env)
    if rollback and _later(store, rollback[1], utc_key(rollback[0]), chosen, when):
        chosen, when = rollback[1], utc_key(rollback[0])
    start = origin(store, env)
    if start and start.get("refreshed") and _later(store, str(start["commit"]),
                                                   utc_key(str(start.get("date") or "")),
                                                   chosen, when):
        return str(start["commit"])
    return chosen


def _only_acceptances_since(store: SnapshotStore, built: BuiltTrain, env: str,
                            reference: str, config: Config | None) -> bool:
    """Whether every event after the build that moves the guard's reference is a human's
    sync point (`kind` accepted) of the hop into `env`: no promotion, rollback or refresh
    judged the hop since, so the plan's warnings still stand."""

    when = utc_key(built.created)
    rollback = last_rollback_into(store, env)
    if rollback and _later(store, rollback[1], utc_key(rollback[0]), reference, when):
        return False
    start = origin(store, env)
    if start and start.get("refreshed") and _later(store, str(start["commit"]),
                                                   utc_key(str(start.get("date") or "")),
                                                   reference, when):
        return False
    upstream = hop_into(built, env, config)
    if upstream is None:
        return False
    for commit in store.ref_history(sync_ref(upstream, env)):
        try:
            doc = json.loads(store.read_file(commit, SYNC_FILE) or b"")
        except ValueError:
            return False
        if not isinstance(doc, dict) or not doc.get("b_commit"):
            return False
        if (str(doc["b_commit"]) == reference
                or not _later(store, str(doc["b_commit"]), utc_key(str(doc.get("when") or "")),
                              reference, when)):
            return True  # reached the sync points from before the build
        if doc.get("kind") != "accepted":
            return False
    return True


def _later(store: SnapshotStore, commit: str, at: str, than: str, than_at: str) -> bool:
    """Whether the target's snapshot `commit` (an event dated `at`) comes at or after `than`
    (dated `than_at`): by the target's history when one descends from the other (exact),
    by the dates (to the second, a tie counting as later) when both are the same snapshot or
    unrelated."""
    if commit != than:
        if store.git.ok(["merge-base", "--is-ancestor", than, commit]) is not None:
            return True
        if store.git.ok(["merge-base", "--is-ancestor", commit, than]) is not None:
            return False
    return at >= than_at


def hop_into(built: BuiltTrain, env: str, config: Config | None) -> str | None:
    """The environment upstream of `env` on the path (the hop whose drift the train would
    overwrite), from the configuration or as recorded with the train."""
    if config is not None:
        upstream = config.upstream_of(env) if env in config.environments else []
        if built.source in upstream and env == built.target:
            return built.source
        return upstream[0] if upstream else (built.source if env == built.target else None)
    return built.hops.get(env) or (built.source if env == built.target else None)


def known_drift(store: SnapshotStore, built: BuiltTrain, env: str, fresh: str,
                changes: list[Change], registry: Registry,
                config: Config | None) -> list[Conflict]:
    """The train's changes that the hop into `env` classifies as the target's own (drift or
    conflict): changed there since the hop's base, or newer there without one, accepted by a
    human's sync point or not (a sync point quiets status; it never lets a train overwrite the
    target's change unnamed and unrecorded)."""

    upstream = hop_into(built, env, config)
    if upstream is None or not changes:
        return []
    source_commit = (built.source_commit if upstream == built.source and env == built.target
                     else store.head(upstream))
    if source_commit is None:
        return []
    wanted = {c.component for c in changes}
    out = []
    for entry in classify_hop(store, config, upstream, env, source_commit, fresh,
                              registry=registry):
        # an accepted difference is acknowledged, not given away: it refuses unless named
        if entry.status == "pending" or entry.change.component not in wanted:
            continue
        by = entry.target_by or (entry.target_change.new_by if entry.target_change
                                 else entry.change.old_by)
        elements = entry.target_change.elements if entry.target_change else []
        newer = ("would delete the target's newer component; "
                 if entry.change.kind == "removed" else "")
        out.append(Conflict(str(entry.change.component), entry.status, by.last_modified_by,
                            by.last_modified_date, [str(e) for e in elements],
                            f"{newer}{entry.status} on {upstream} → {env}: {entry.reason}"))
    return out


def unvetted(store: SnapshotStore, built: BuiltTrain, env: str, fresh: str,
             registry: Registry) -> set[str] | None:
    """What the target changed since this train's last deployed promotion to `env` took its
    backup (that promotion's guard checked the rest), plus what it overwrote by name; None
    when the train was never deployed there. A re-promotion after a rollback thus meets
    only the target's new changes, not the state the first promotion was allowed over."""
    from sfenv.services.records.release_log import read_log

    try:
        entries = read_log(store, built.name)
    except StoreError:
        return None
    last = next((e for e in reversed(entries) if e.action == "promote" and e.env == env
                 and e.result == "deployed" and e.backup_commit), None)
    if last is None:
        return None
    changed = {str(c.component) for c in compare_diff.diff_commits(
        store, last.backup_commit, fresh, registry=registry).changes}
    return changed | {str(c.get("component")) for c in last.overwrites}


def recorded(built: BuiltTrain, env: str, changes: list[Change]) -> list[Conflict]:
    """Conflicts the plan found at build time for `env`, for the components the train still
    changes there."""
    wanted = {str(c.component) for c in changes}
    return [Conflict(str(d["component"]), str(d.get("status") or "drift"), d.get("by"),
                     d.get("date"), [],
                     ("would delete the target's newer component; " if d.get("change") ==
                      "removed" else "")
                     + f"known when {built.name} was built: {d.get('reason') or d.get('status')}")
            for d in built.known_conflicts.get(env, []) if str(d.get("component")) in wanted]


def source_base(store: SnapshotStore, built: BuiltTrain) -> str | None:
    """The source's state before the train's changes: its commit at the train's hop's sync
    point when one was recorded before the build, else its first snapshot."""

    try:
        point = sync_point(store, built.source, built.target)
    except StoreError:
        point = None
    if point and str(point.get("when") or "") <= built.created:
        return str(point["a_commit"])
    first = origin(store, built.source)
    return first["commit"] if first else None


def unknown_target(store: SnapshotStore, built: BuiltTrain, env: str, fresh: str,
                   changes: list[Change], registry: Registry) -> list[Conflict]:
    """No snapshot of the target before the backup: the train's changes where the fresh
    target differs from the source's base (what the target has that the source never had)."""
    base = source_base(store, built)
    if base is None or not changes:
        return []
    differ = {c.component: c for c in compare_diff.diff_commits(
        store, base, fresh, registry=registry).changes}
    out = []
    for change in changes:
        own = differ.get(change.component)
        if own is None:
            continue
        conflict = hand_conflict(own, f"{env} had no snapshot before this promotion; it differs from "
                              f"{built.source}'s base")
        conflict.changed_by = change.old_by.last_modified_by
        conflict.changed_on = change.old_by.last_modified_date
        out.append(conflict)
    return out


def own_changes(store: SnapshotStore, built: BuiltTrain, env: str, fresh: str,
                registry: Registry, config: Config | None) -> list[Change]:
    """The train's changes against the fresh backup, when the promotion gave none."""
    neutralize = (Neutralizer.for_envs(config.environments.get(env),
                                       config.environments.get(built.source))
                  if config is not None else None)
    diff = compare_diff.diff_commits(store, fresh, built.source_commit, registry=registry,
                                     neutralize=neutralize)
    ids = set(built.components) | set(built.deletes) | set(built.manual)
    return [c for c in diff.changes
            if str(c.component) in ids or (c.parent is not None and str(c.parent) in ids)]


def train_src(store: SnapshotStore, built: BuiltTrain) -> dict[str, bytes]:
    """The train's metadata files as stored (placeholders unsubstituted: enough for ids)."""
    from sfenv.services.train.train import releases_head, train_folder

    head = releases_head(store)
    if head is None:
        return {}
    prefix = train_folder(built.name) + "src/"
    files = {p: sha for p, sha in store.files(head).items() if p.startswith(prefix)}
    blobs = store.read_blobs(files.values())
    return {p[len(prefix):]: blobs[sha] for p, sha in files.items()}


@dataclass
class GuardOutcome:
    """What the guard found before a deploy and what the user's `--overwrite` names allow.

    `blocking` refuses the promotion; `overwritten` is recorded as overwritten by the deploy;
    `unknown_names` are `--overwrite` names that match no conflict; `notes` are lines for the
    promotion's steps."""

    found: list[Conflict] = field(default_factory=list)
    blocking: list[Conflict] = field(default_factory=list)
    overwritten: list[Conflict] = field(default_factory=list)
    unknown_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _merge(groups: Iterable[list[Conflict]]) -> list[Conflict]:
    """One conflict per component, the first finding kept (changes after the build first,
    then the hop's classes, then the plan's warnings)."""
    out: dict[str, Conflict] = {}
    for group in groups:
        for conflict in group:
            out.setdefault(conflict.component, conflict)
    return sorted(out.values(), key=lambda c: c.component)


def guard_promotion(store: SnapshotStore, built: BuiltTrain, env: str, fresh: str,
                    train_changes: list[Change], src: dict[str, bytes], registry: Registry,
                    overwrite: Sequence[str] = (), overwrite_all: bool = False, *,
                    config: Config | None = None) -> GuardOutcome:
    """The guard of one promotion: the target's own changes that the train (`train_changes`
    against the target's fresh backup `fresh`, its files `src`) would overwrite, split by the
    user's `--overwrite` names."""
    out = GuardOutcome()
    reference = reference_commit(built, env)
    if reference is None:
        src = src or train_src(store, built)
        changes = affected(train_changes or own_changes(store, built, env, fresh, registry,
                                                        config), built, src, registry)
        out.found = unknown_target(store, built, env, fresh, changes, registry)
        n = len(out.found)
        out.notes.append(f"guard: no snapshot of {env} before this promotion; compared its "
                         f"backup with {built.source}'s base: {counted(n, 'component')} "
                         f"of the train {'differs' if n == 1 else 'differ'} there")
    else:
        synced = since_promotion(store, built, env, reference, config)
        changes = affected(train_changes, built, src, registry)
        # a promotion, rollback or refresh after the build judged the hop again: the hop's
        # classes say the rest; a human's sync point only acknowledged what the plan warned of
        keep = synced == reference or _only_acceptances_since(store, built, env, reference,
                                                              config)
        # the hop's class now first: it names a human's acceptance of the change
        earlier = [*known_drift(store, built, env, fresh, changes, registry, config),
                   *(recorded(built, env, changes) if keep else [])]
        reference = synced
        fresh_since = unvetted(store, built, env, fresh, registry) if earlier else None
        if fresh_since is not None:
            earlier = [c for c in earlier if c.component in fresh_since]
        out.found = _merge([
            conflicts(store, built, reference, fresh, train_changes, src, registry, env),
            earlier])
        out.notes.append(
            f"guard: {counted(len(out.found), 'component')} of the train changed in {env} "
            f"outside the release process" if out.found
            else f"guard: no component of the train changed in {env} outside the release "
                 f"process")
    found = {c.component for c in out.found}
    named = found if overwrite_all else set(overwrite)
    out.blocking = [c for c in out.found if c.component not in named]
    out.overwritten = [c for c in out.found if c.component in named]
    out.unknown_names = sorted(set(overwrite) - found)
    return out
