"""A rollback's checks around its deploy: the guard before it (hand changes made since the
promotion that the rollback would overwrite) and the verification after it (back to the
backup), with the undo steps of the promotion's manual work and the hop's earlier base."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sfenv.core.compare.counts import counted
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.errors import SfenvError
from sfenv.io.store.snapshots import EnvLock, SnapshotStore
from sfenv.services import pull as pull_mod
from sfenv.services.promote.guard import conflicts as guard_conflicts
from sfenv.services.promote.guard_parts import NAME_EACH, guard_lines, unknown_names_line
from sfenv.services.promote.recording import finish, record_restored_origins, restore_sync
from sfenv.services.promote.rollback import rollback_changes
from sfenv.services.promote.undo import undo_steps
from sfenv.services.promote.verify import verify
from sfenv.services.records import release_log
from sfenv.services.records.checklist_state import freeze_checklist
from sfenv.services.train.model import BuiltTrain, LogEntry, PromoteResult
from sfenv.services.train.train import now_iso, releases_head, train_folder
from sfenv.services.train.trees import StoreTree

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.progress import Progress


def guard_rollback(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                   result: PromoteResult, info: dict[str, Any], promoted: LogEntry,
                   registry: Registry, overwrite: Sequence[str], overwrite_all: bool, *,
                   connect: Callable, progress: Progress | None,
                   lock: EnvLock | None) -> tuple[PromoteResult | None, str | None]:
    """Pull `env` and name the changes made there by hand since the promotion (its
    verification snapshot) that the rollback package would overwrite. Refused (result
    "refused", exit 1, nothing deployed) unless `overwrite` names each of them or
    `overwrite_all`; the overwritten ones are recorded. Returns (the refusal or None to go
    on, the commit of that pull when one ran)."""
    entry, steps = result.entry, result.steps
    if not promoted.after_commit:
        steps.append(f"guard: the promotion of {built.name} to {env} recorded no snapshot "
                     f"after its deploy; nothing to compare {env} with")
        return None, None
    fresh = pull_mod.pull_env(config, env, connect=connect, store=store, progress=progress,
                              lock=lock).commit
    ids = [ComponentId.parse(c) for c in built.components + built.deletes]
    changes = rollback_changes(ids, StoreTree(store, entry.backup_commit),
                               StoreTree(store, fresh), registry)
    head = releases_head(store)
    prefix = f"{train_folder(built.name)}rollback/{env}/src/"
    listed = {p: sha for p, sha in store.files(head).items() if p.startswith(prefix)}
    blobs = store.read_blobs(set(listed.values()))
    src = {p[len(prefix):]: blobs[sha] for p, sha in listed.items()}
    found = guard_conflicts(store, replace(built, deletes=list(info.get("destroy", []))),
                            promoted.after_commit, fresh, changes, src, registry, env)
    named = {c.component for c in found} if overwrite_all else set(overwrite)
    blocking = [c for c in found if c.component not in named]
    entry.overwrites = [c.to_dict() for c in found if c.component in named]
    steps.append(f"guard: {counted(len(found), 'component')} changed in {env} since the promotion"
                 if found else f"guard: nothing the rollback writes changed in {env} since "
                               f"the promotion")
    unknown = sorted(set(overwrite) - {c.component for c in found})
    if unknown:
        steps.append(unknown_names_line(unknown))
    steps.extend(guard_lines(env, blocking, [c for c in found if c.component in named]))
    if blocking:
        entry.conflicts = [c.to_dict() for c in blocking]
        return finish(config, store, result, "refused", error=(
            f"{counted(len(blocking), 'component')} the rollback of {built.name} would "
            f"overwrite changed in {env} since the promotion ({NAME_EACH})")), fresh
    return None, fresh


def add_undo_steps(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                   promoted: LogEntry, entry: LogEntry, result: PromoteResult,
                   registry: Registry) -> None:
    """Freeze, next to the promotion's steps (kept, ticks and all), the steps that undo by
    hand what the rolled-back promotion's manual steps did."""
    if not promoted.after_commit or not entry.backup_commit:
        return
    steps = undo_steps(config, store, built, env, promoted.after_commit, entry.backup_commit,
                       registry)
    if not steps:
        return
    freeze_checklist(store, built.name, env, steps, entry.backup_commit,
                     backup_tag=entry.backup_tag, by=entry.user, when=now_iso(),
                     reason="rollback", config=config)
    result.checklist = steps
    result.steps.append(f"{counted(len(steps), 'checklist step')} to undo manual changes: "
                        + ", ".join(s.id for s in steps[:5]))


def verify_rollback(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                    result: PromoteResult, info: dict[str, Any], promoted: LogEntry, *,
                    connect: Callable, progress: Progress | None, registry: Registry,
                    lock: EnvLock | None) -> PromoteResult | None:
    """After the rollback deploy: pull again, verify `env` is back to the backup, add the undo
    steps, restore the hop's base. None when all is well (the runner records rolled_back)."""
    entry, train = result.entry, built.name
    try:
        after = pull_mod.pull_env(config, env, connect=connect, store=store, progress=progress,
                                  lock=lock).commit
    except SfenvError as err:  # rolled back, not verified: logged, so the deploy is on record
        return finish(config, store, result, release_log.UNVERIFIED, error=(
            f"the rollback package was deployed to {env} ({', '.join(entry.deploy_ids)}) but "
            f"the verification pull failed: {err}; run the same `sfenv release rollback "
            f"{train} --env {env}` again to verify and finish"))
    entry.after_commit = after
    restored = StoreTree(store, entry.backup_commit)
    ids = [ComponentId.parse(c) for c in info.get("restore", [])]
    gone = [ComponentId.parse(c) for c in info.get("destroy", [])]
    check = verify(restored, ids, gone, StoreTree(store, after), registry)
    entry.verification = check.to_dict()
    result.steps.append(f"verified {env}: " + ("back to the backup" if check.ok else
                                               f"{len(check.mismatches)} mismatches"))
    add_undo_steps(config, store, built, env, promoted, entry, result, registry)
    if not check.ok:
        return finish(config, store, result, "rollback_incomplete", error=(
            f"rolled back; verification failed: {env} is not back to the backup for "
            f"{counted(len(check.mismatches), 'component')}: "
            + ", ".join(f"{m['component']} ({m['problem']})" for m in check.mismatches[:5])))
    record_restored_origins(store, env, train, list(info.get("restore", [])),
                            entry.backup_commit, after, registry,
                            destroyed=list(info.get("destroy", [])),
                            own={str(c.get("component")) for c in promoted.overwrites})
    restored_base = restore_sync(store, promoted, train)
    if restored_base:
        result.steps.append(restored_base)
    return None
