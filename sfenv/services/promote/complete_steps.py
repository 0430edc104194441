"""The steps after a promotion's deploy: pull the target again and verify it holds the train
(recording who made each change it brought), build the rollback package, freeze the checklist,
record the hop's sync point; then the outcome. Each may run again on a rerun: what it needs is
read from the log entry (the backup and verification commits)."""

from __future__ import annotations

from sfenv.core.metadata.ids import ComponentId
from sfenv.errors import SfenvError
from sfenv.services import pull as pull_mod
from sfenv.services.promote.artifacts import built_src, verification_failed
from sfenv.services.promote.promotion import Promotion
from sfenv.services.promote.recording import (
    record_change_origins,
    record_sync,
    rollback_files,
    rollback_folder,
)
from sfenv.services.promote.runner import Step
from sfenv.services.promote.verify import verify
from sfenv.services.records import release_log
from sfenv.services.records.checklist_state import freeze_checklist
from sfenv.services.train.inventory import target_has
from sfenv.services.train.model import PromoteResult
from sfenv.services.train.package import fit_src
from sfenv.services.train.train import export, now_iso
from sfenv.services.train.trees import StoreTree


def verify_step(p: Promotion) -> PromoteResult | None:
    """Pull the target again and compare it with the train as fitted to it."""
    entry, env, built = p.entry, p.env, p.built
    before = entry.backup_commit
    try:
        after = pull_mod.pull_env(p.config, env, connect=p.connect, store=p.store,
                                  progress=p.progress, lock=p.lock).commit
    except SfenvError as err:  # deployed, not verified: the next run resumes from here
        return p.finish(release_log.UNVERIFIED, error=(
            f"deployed to {env} ({', '.join(entry.deploy_ids)}) but the verification pull "
            f"failed: {err}; run the same `sfenv release promote {built.name} --to {env}` "
            f"again to verify and finish"))
    entry.after_commit = after
    src, _ = fit_src(built_src(p.store, built, p.values),
                     target_has(p.store, before, p.registry), p.registry)
    check = verify(src, [ComponentId.parse(c) for c in built.components],
                   [ComponentId.parse(c) for c in built.deletes], StoreTree(p.store, after),
                   p.registry)
    entry.verification = check.to_dict()
    p.notes.append(f"verified {env} after the deploy: "
                   + ("holds the train as built" if check.ok else
                      f"{len(check.mismatches)} mismatches"))
    record_change_origins(p.store, built, env, before, after, p.registry)
    return None


def rollback_step(p: Promotion) -> PromoteResult | None:
    """The package that takes the target back to the backup, stored with the log entry."""
    entry = p.entry
    files = rollback_files(p.config, p.store, p.built, p.env, entry.backup_commit,
                           entry.after_commit, entry.backup_tag, p.registry)
    entry.rollback_folder = rollback_folder(p.built.name, p.env)
    p.notes.append(f"rollback package: {entry.rollback_folder}")
    p.extra = files  # committed with the next record of the entry
    export(p.config, p.built.name, files)
    return None


def checklist_step(p: Promotion) -> PromoteResult | None:
    """The checklist as computed against the pre-deploy backup is the record from now on."""
    entry = p.entry
    freeze_checklist(p.store, p.built.name, p.env, p.the_checklist(), entry.backup_commit,
                     backup_tag=entry.backup_tag, by=entry.user, when=now_iso(),
                     reason="promotion", config=p.config)
    return None


def sync_step(p: Promotion) -> PromoteResult | None:
    """The hop into the target gets a base (a hotfix leaves upstream behind: its change must
    show as drift, so it records none)."""
    if p.record_sync:
        # what the verification found different from the package is not the train's content
        mismatched = {str(m.get("component"))
                      for m in p.entry.verification.get("mismatches", []) or []}
        p.entry.sync_before = record_sync(p.config, p.store, p.built, p.env,
                                          p.entry.after_commit, p.entry.user,
                                          p.entry.backup_commit, p.registry,
                                          mismatched=mismatched)
    return None


def outcome(p: Promotion) -> PromoteResult:
    """Deployed; with the verification's mismatches as its error when it failed (exit 4)."""
    check = p.entry.verification
    ok = bool(check.get("ok", True))
    return p.finish("deployed", error="" if ok else verification_failed(check.get("mismatches",
                                                                                  [])))


def completion_steps(p: Promotion) -> list[Step]:
    return [Step("verify", lambda: verify_step(p)), Step("rollback-package", lambda: rollback_step(p)),
            Step("checklist", lambda: checklist_step(p)), Step("sync-point", lambda: sync_step(p))]
