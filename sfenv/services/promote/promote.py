"""Promote a built train to one environment: the promotion is a step list (`promotion`,
`deploy_steps`, `complete_steps`) run by the one runner (`runner`); this module checks what
must hold before anything is touched, and starts a fresh attempt, resumes an unfinished one
where its log entry says, or settles it (`settle`).

Nothing here prints or prompts: `confirm` is the caller's callback for production deploys, and
every outcome (also a failed validation or deploy) is a `PromoteResult` with its log entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import ReleaseError
from sfenv.identity import acting_user
from sfenv.io.store.snapshots import EnvLock, SnapshotStore
from sfenv.services.promote.artifacts import (
    built_src,
    env_values,
    org_client_connect,
    target_zips,
)
from sfenv.services.promote.complete_steps import completion_steps, outcome
from sfenv.services.promote.deploy_steps import deploy_and_wait as _deploy
from sfenv.services.promote.deploy_steps import recheck_name, wave_steps
from sfenv.services.promote.deploying import pending_intent
from sfenv.services.promote.guard import GuardOutcome, guard_promotion, reference_commit
from sfenv.services.promote.promotion import Promotion, backup_step, guard_step
from sfenv.services.promote.recording import close_interrupted, drop_backup_tag
from sfenv.services.promote.runner import Step, resume, run_steps
from sfenv.services.promote.settle import settle
from sfenv.services.promote.stages import stage_problem
from sfenv.services.promote.steps_rollback import rollback
from sfenv.services.records import release_log
from sfenv.services.train.checklist import compute_checklist, train_changes
from sfenv.services.train.inventory import target_has
from sfenv.services.train.model import LogEntry, PromoteResult
from sfenv.services.train.package import fit_src
from sfenv.services.train.train import load_train, now_iso

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.progress import Progress

# what other modules and tests import from here
__all__ = ["_deploy", "built_src", "compute_checklist", "env_values", "promote", "rollback",
           "target_zips"]


def promote(config: Config, store: SnapshotStore, train: str, env: str,
            **options: Any) -> PromoteResult:
    """Promote `train` to `env` (see `_promote`), one promotion or rollback of an environment
    at a time: a second one is refused at once (before its backup), so it can never hold the
    environment while the first one's verification pull needs it.

    The environment's own lock is held from the backup to the log entry, and the backup and the
    verification pull run under it: a scheduled `sfenv pull` meanwhile is refused at once
    instead of making the promotion `unverified`."""
    command = f"sfenv release promote {train} --to {env}"
    with store.lock(f"{env}.promoting", command=command), \
            store.lock(env, command=command) as held:
        return _promote(config, store, train, env, lock=held, **options)


def _promote(config: Config, store: SnapshotStore, train: str, env: str, *, hotfix: bool = False,
             strict: bool = False, check_only: bool = False,
             confirm: Callable[[str], bool] | None = None, connect: Callable | None = None,
             progress: Progress | None = None, registry: Registry | None = None,
             overwrite: Sequence[str] = (), overwrite_all: bool = False,
             verify_only: bool = False, abandon: bool = False, by: str | None = None,
             lock: EnvLock | None = None) -> PromoteResult:
    """Raises before anything is touched (stage, production without a way to confirm,
    undeclared values; later strict checklist, failed backup); afterwards every outcome is
    logged and returned. The guard refuses (result "refused", nothing validated or deployed)
    when the target changed a component of the train since the plan, unless `overwrite`
    names it or `overwrite_all`."""
    registry = registry or default_registry()
    built = load_train(store, train)
    env_cfg = config.env(env)
    if getattr(env_cfg, "kind", "org") != "org":  # a git ref or a folder cannot be deployed to
        raise ReleaseError(f"{env} is a {env_cfg.kind} environment: trains are promoted to orgs")
    entries = release_log.read_log(store, train)
    problem = stage_problem(config, built, entries, env)
    if problem and not hotfix:
        raise ReleaseError(problem + " (promote there first, or use --hotfix)")
    if env_cfg.production and not (check_only or verify_only or abandon) and confirm is None:
        raise ReleaseError(f"{env} is production: confirm interactively or pass --yes")
    values = env_values(config, built, env)  # refused here, before the backup, if undeclared
    user = acting_user(config.root, by)

    def attempt(entry: LogEntry, resumed: bool) -> Promotion:
        return Promotion(
            config=config, store=store, built=built, env=env,
            result=PromoteResult(train, env, entry, []), registry=registry,
            connect=connect or org_client_connect(config), values=values,
            zips=target_zips(store, built, values), record_sync=problem is None,
            progress=progress, lock=lock, strict=strict, check_only=check_only,
            confirm=confirm, overwrite=overwrite, overwrite_all=overwrite_all,
            resumed=resumed, guard=lambda p, fresh: _guard(p, fresh))

    prior = release_log.unfinished(entries, env)
    closing: list[str] = []
    if verify_only or abandon:
        return settle(attempt(prior or LogEntry("promote", env, "", user, ""), True), prior,
                      abandon=abandon, by=user)
    if prior is not None:
        if check_only and (prior.deploy_ids or pending_intent(prior)):
            raise ReleaseError(
                f"the promotion of {train} to {env} started {prior.started} submitted deploy "
                f"{', '.join(prior.deploy_ids) or '(answer lost)'} and did not finish: run "
                f"`sfenv release promote {train} --to {env}` to follow it, or settle it with "
                f"--verify-only or --abandon; --check-only would validate against a state the "
                f"log cannot vouch for")
        resumed = attempt(prior, True)
        steps = promotion_steps(resumed)
        if not prior.steps_done and prior.deploy_ids:  # an entry from before the runner
            prior.steps_done = _legacy_steps_done(resumed, prior)
        start = resume(steps, prior)
        if start is not None:
            step = steps[start].name if start < len(steps) else "record"
            resumed.notes.append(
                f"resuming the promotion started {prior.started}: following deploy "
                f"{prior.deploy_ids[-1]}" if step.startswith(("deploy", "wait")) else
                f"resuming the promotion started {prior.started} at its step {step} "
                f"(deploy {', '.join(prior.deploy_ids)} accepted)")
            return run_steps(steps, prior, resumed.record, lambda: outcome(resumed), start)
        if prior.backup_tag:  # closed without a deploy: no tag stays, as for a refusal
            closing.append(drop_backup_tag(store, prior.backup_tag))
            prior.backup_tag = ""
        close_interrupted(store, train, prior)  # nothing was accepted: start over
    entry = LogEntry(action="promote", env=env, result="", user=user, started=now_iso(),
                     hotfix=bool(problem) or hotfix, test_level=env_cfg.effective_test_level())
    fresh = attempt(entry, False)
    fresh.notes.extend([f"by {user}", *closing])
    if problem:
        fresh.notes.append(f"hotfix: {problem}")
    if values:
        fresh.notes.append(f"substituted {env}'s values for {len(values)} placeholders: "
                           + ", ".join(sorted(values)))
    return run_steps(promotion_steps(fresh), entry, fresh.record, lambda: outcome(fresh))


def promotion_steps(p: Promotion) -> list[Step]:
    """backup, guard (before the log entry exists), per wave validate/deploy/wait, then the
    completion steps (`complete_steps`)."""
    steps = [Step("backup", lambda: backup_step(p), "restart", logged=False),
             Step("guard", lambda: guard_step(p), "restart", logged=False)]
    for number in range(1, len(p.zips) + 1):
        steps += wave_steps(p, number)
    return steps + completion_steps(p)


def _legacy_steps_done(p: Promotion, prior: LogEntry) -> list[str]:
    """The steps an entry written before the runner had done: each wave with a deploy id was
    validated and submitted; all but the last were waited for (the last too when the
    verification pull failed)."""
    done = ["backup", "guard"]
    count = len(prior.deploy_ids)
    for number in range(1, count + 1):
        done += [p.step_name("validate", number), recheck_name(number),
                 p.step_name("deploy", number)]
        if number < count or prior.result == release_log.UNVERIFIED:
            done.append(p.step_name("wait", number))
    return done


def _guard(p: Promotion, fresh: str) -> GuardOutcome:
    """The target's changes since the plan that the train would overwrite (`guard` module)."""
    config, store, built, env, registry = p.config, p.store, p.built, p.env, p.registry
    if reference_commit(built, env) is None:
        return guard_promotion(store, built, env, fresh, [], {}, registry)
    changes = train_changes(store, built, fresh, env, registry,
                            Neutralizer.for_envs(config.env(env),
                                                 config.environments.get(built.source)))
    src, _ = fit_src(built_src(store, built, p.values), target_has(store, fresh, registry),
                     registry)
    return guard_promotion(store, built, env, fresh, changes, src, registry, p.overwrite,
                           p.overwrite_all, config=config)

