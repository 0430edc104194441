"""A rollback as a step list on the one runner: deploy the rollback package recorded for an
environment (followed, never submitted twice), wait for it, then pull, verify it is back to
the backup (`rollback_checks`). Before the list: later trains, confirmation, the org id and
the guard, which are not logged except their refusals."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import DeployUnknownError, OrgError, ReleaseError
from sfenv.identity import acting_user
from sfenv.io.store.snapshots import EnvLock, SnapshotStore
from sfenv.services.promote.artifacts import (
    components_report,
    deploy_failures,
    org_client_connect,
    present_in,
    zip_digest,
)
from sfenv.services.promote.deploying import (
    Deployer,
    check_org,
    new_intent,
    pending_intent,
    submit_once,
)
from sfenv.services.promote.recording import close_interrupted, finish, log_intent, resolve_intent
from sfenv.services.promote.rollback import without_absent_deletions
from sfenv.services.promote.rollback_checks import guard_rollback, verify_rollback
from sfenv.services.promote.runner import Step, resume, run_steps
from sfenv.services.promote.stages import env_states, last_deployed, later_trains
from sfenv.services.records import release_log
from sfenv.services.train.model import BuiltTrain, LogEntry, PromoteResult
from sfenv.services.train.train import load_train, now_iso, releases_head, train_folder

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.progress import Progress


def rollback(config: Config, store: SnapshotStore, train: str, env: str, *,
             with_later: bool = False, **options: Any) -> PromoteResult:
    """Roll `train` back on `env` (see `_rollback`), under the environment's promotion lock and
    its own lock (the verification pull runs under it).

    Refused (ReleaseError, exit 2) while a train deployed on `env` after `train` is still
    there: rolling back the older one would silently undo it. `with_later` rolls those back
    first, newest first, each recorded in its own log; it stops at the first that fails."""
    command = f"sfenv release rollback {train} --env {env}"
    with store.lock(f"{env}.promoting", command=command), \
            store.lock(env, command=command) as held:
        later = later_trains(store, train, env)
        if later and not with_later:
            one = len(later) == 1
            raise ReleaseError(
                f"{', '.join(later)} {'is' if one else 'are'} deployed to {env} on top of "
                f"{train}: rolling {train} back would undo {'it' if one else 'them'} without a "
                f"record; roll back {later[0]} first, or pass --with-later to roll back "
                f"{', '.join(later)} then {train}, newest first")
        done: list[str] = []
        for newer in later:
            first = _rollback(config, store, newer, env, lock=held, **options)
            if not first.ok:
                first.steps.insert(0, f"--with-later: rolling back {newer} before {train} "
                                      f"failed; {train} was not rolled back")
                return first
            done.append(f"--with-later: rolled back {newer} on {env} first "
                        f"({first.entry.result}, {', '.join(first.entry.deploy_ids)})")
        result = _rollback(config, store, train, env, lock=held, **options)
        result.steps[:0] = done
        return result


def _rollback(config: Config, store: SnapshotStore, train: str, env: str, *,
              confirm: Callable[[str], bool] | None = None, connect: Callable | None = None,
              progress: Progress | None = None, registry: Registry | None = None,
              overwrite: Sequence[str] = (), overwrite_all: bool = False,
              by: str | None = None, lock: EnvLock | None = None) -> PromoteResult:
    """Deploy the rollback package recorded for `env`, pull again and check it is the backup.
    Like a promotion: the org id is checked before the deploy, the intent is logged before
    the submit and the id as soon as it returns, and a rerun after an interruption continues
    where the runner says (`runner.resume`), following a deploy already accepted."""
    registry = registry or default_registry()
    connect = connect or org_client_connect(config)
    built = load_train(store, train)  # a clear error for an unknown train
    env_cfg = config.env(env)
    entries = release_log.read_log(store, train)
    prior = release_log.unfinished(entries, env, "rollback")
    last = env_states(entries).get(env)
    if prior is None and (last is None or last.result != "deployed"):
        raise ReleaseError(f"release {train} is not deployed to {env}: nothing to roll back")
    promoted = last_deployed(entries, env)
    head = releases_head(store)
    prefix = f"{train_folder(train)}rollback/{env}/"
    data = store.read_file(head, prefix + "package.zip")
    info_bytes = store.read_file(head, prefix + "rollback.json")
    if data is None or info_bytes is None or promoted is None:
        raise ReleaseError(f"no rollback package for {train} on {env} ({prefix})")
    info = json.loads(info_bytes)
    if confirm is None:
        raise ReleaseError(f"rolling back {env} needs confirmation: confirm interactively or "
                           f"pass --yes")
    clients: list[Deployer] = []

    def client() -> Deployer:
        if not clients:
            clients.append(connect(env_cfg, config.api_version))
        return clients[0]

    if prior is not None:
        result = PromoteResult(train, env, prior, [])
        if not prior.steps_done and prior.deploy_ids:  # an entry from before the runner
            prior.steps_done = ["deploy", "wait"] if prior.result == release_log.UNVERIFIED \
                else ["deploy"]
        steps = _steps(config, store, built, env, result, client, data, info, promoted,
                       connect=connect, progress=progress, registry=registry, lock=lock)
        start = resume(steps, prior)
        if start is not None:
            check_org(store, env, client())
            result.steps.append(f"resuming the rollback started {prior.started}: following "
                                f"deploy {prior.deploy_ids[-1]}")
            return run_steps(steps, prior, lambda: log_intent(store, result),
                             lambda: finish(config, store, result, "rolled_back"), start)
        close_interrupted(store, train, prior)  # nothing was accepted: a fresh attempt runs
    entry = LogEntry(action="rollback", env=env, result="", user=acting_user(config.root, by),
                     started=now_iso(), backup_tag=info.get("backup_tag", ""),
                     backup_commit=info.get("before_commit", ""),
                     test_level=env_cfg.effective_test_level(),
                     package_digests=[zip_digest(data)])
    result = PromoteResult(train, env, entry, [f"by {entry.user}"])
    if not confirm(f"Roll back release {train} on {env} to backup {entry.backup_tag}?"):
        return finish(config, store, result, "cancelled", error="declined at the prompt")
    try:
        check_org(store, env, client())  # before anything is logged or deployed (exit 2)
    except OrgError as err:
        return finish(config, store, result, "rollback_failed",
                      error=f"the rollback deploy to {env} did not complete: {err}")
    refused, fresh = guard_rollback(config, store, built, env, result, info, promoted,
                                    registry, overwrite, overwrite_all, connect=connect,
                                    progress=progress, lock=lock)
    if refused is not None:
        return refused
    present = present_in(store, fresh, registry) if fresh is not None else None
    if present is not None:
        data, gone = without_absent_deletions(data, present, registry)
        if gone:
            entry.package_digests = [zip_digest(data)]
            result.steps.append(f"already gone from {env}, left out of the rollback's "
                                f"deletions: {', '.join(gone)}")
    steps = _steps(config, store, built, env, result, client, data, info, promoted,
                   connect=connect, progress=progress, registry=registry, lock=lock)
    return run_steps(steps, entry, lambda: log_intent(store, result),
                     lambda: finish(config, store, result, "rolled_back"))


def _steps(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
           result: PromoteResult, client: Callable[[], Deployer], data: bytes,
           info: dict[str, Any], promoted: LogEntry, *, connect: Callable,
           progress: Progress | None, registry: Registry, lock: EnvLock | None) -> list[Step]:
    """deploy the rollback package (follow: intent and id logged around the submit; an
    accepted id is followed on a rerun, an intent without id looked up in the org), wait for
    it, then verify (pull, verify, undo steps, the hop's earlier base)."""
    entry, train = result.entry, built.name

    def unknown(err: OrgError) -> PromoteResult:
        return finish(config, store, result, "deploy_unknown", error=(
            f"the rollback deploy {', '.join(entry.deploy_ids) or '(answer lost)'} to {env} "
            f"may have run but its outcome is unknown ({err}); run the same `sfenv release "
            f"rollback {train} --env {env}` again: it follows that deploy"))

    def deploy() -> PromoteResult | None:
        if entry.deploy_ids:  # accepted in an earlier run: followed, never submitted again
            return None
        org = client()
        try:
            submit_once(
                store, env, org, entry, new_intent("rollback", digest=zip_digest(data)),
                lambda: org.submit_deploy(data, check_only=False, test_level=entry.test_level),
                lambda: log_intent(store, result), result.steps)
        except OrgError as err:
            if isinstance(err, DeployUnknownError):
                return unknown(err)
            return finish(config, store, result, "rollback_failed",
                          error=f"the rollback deploy to {env} did not complete: {err}")
        return None

    def followable() -> bool:
        if entry.deploy_ids:
            return True
        if pending_intent(entry) is not None:
            resolve_intent(store, train, env, entry, client())
        return bool(entry.deploy_ids)

    def wait() -> PromoteResult | None:
        deploy_id = entry.deploy_ids[-1]
        try:
            deployed = client().wait_deploy(deploy_id)
        except OrgError as err:
            return unknown(err)
        result.validation_components = components_report(deployed)
        if not deployed.success:
            return finish(config, store, result, "rollback_failed", deploy_failures(deployed),
                          f"rollback deploy failed ({deployed.status})")
        result.steps.append(f"deployed the rollback package to {env}: {deployed.id}")
        return None

    def check() -> PromoteResult | None:
        return verify_rollback(config, store, built, env, result, info, promoted,
                               connect=connect, progress=progress, registry=registry, lock=lock)

    return [Step("deploy", deploy, "follow", followable=followable), Step("wait", wait),
            Step("verify", check)]
