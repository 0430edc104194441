"""Promote a built train to one environment: stage check, backup, checklist, validate, deploy,
pull again and verify, build the rollback package, record everything.

Nothing here prints or prompts: `confirm` is the caller's callback for production deploys, and
every outcome (also a failed validation or deploy) is a `PromoteResult` with its log entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sfenv.core.checklist import Step
from sfenv.core.compare import diff as compare_diff
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.compare.status import SYNC_FILE, sync_ref
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.ziputil import write_zip
from sfenv.errors import ConfigError, DeployUnknownError, OrgError, ReleaseError, SfenvError
from sfenv.io.store.snapshots import EnvLock, SnapshotStore
from sfenv.services import pull as pull_mod
from sfenv.services.promote.deploying import (
    Deployer,
    accepted,
    check_org,
    find_accepted,
    new_intent,
    pending_intent,
    submit_once,
)
from sfenv.services.promote.guard import GuardOutcome, guard_promotion, reference_commit
from sfenv.services.promote.guard import conflicts as guard_conflicts
from sfenv.services.promote.rollback import rollback_changes, rollback_package
from sfenv.services.promote.runner import Step as RunStep
from sfenv.services.promote.runner import resume_point, run_steps
from sfenv.services.promote.undo import undo_steps
from sfenv.services.promote.verify import verify
from sfenv.services.records import release_log as release_log
from sfenv.services.records.checklist_state import current_done, freeze_checklist
from sfenv.services.records.origins import record_origins, upstream_origins
from sfenv.services.records.sync_points import record_sync_point
from sfenv.services.train.checklist import (
    compute_checklist,
    train_changes,
)
from sfenv.services.train.envvalues import substitute_files, substitute_zip, target_values
from sfenv.services.train.inventory import target_has
from sfenv.services.train.model import BuiltTrain, ComponentFailure, LogEntry, PromoteResult
from sfenv.services.train.package import fit_src, fit_zips
from sfenv.services.train.train import (
    current_user,
    export,
    list_trains,
    load_train,
    now_iso,
    releases_head,
    train_folder,
)
from sfenv.services.train.trees import StoreTree

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.org.client import DeployResult
    from sfenv.progress import Progress


# -- stages -----------------------------------------------------------------------------------

def env_states(entries: list[LogEntry]) -> dict[str, LogEntry]:
    """The last entry that changed each environment (deployed or rolled back)."""
    out: dict[str, LogEntry] = {}
    for e in entries:
        if e.result in ("deployed", "rolled_back"):
            out[e.env] = e
    return out


def deployed_envs(entries: list[LogEntry]) -> set[str]:
    return {env for env, e in env_states(entries).items() if e.result == "deployed"}


def stage_problem(config: Config, built: BuiltTrain, entries: list[LogEntry],
                  env: str) -> str | None:
    """Why promoting to `env` would skip a stage, or None when the path allows it."""
    if env == built.target:
        return None
    upstream = config.upstream_of(env)
    if not upstream:
        return f"{env} is the first stage of the path: trains are built from it, not promoted to it"
    if built.source in upstream or deployed_envs(entries) & set(upstream):
        return None
    return (f"release {built.name} has not been deployed to {' or '.join(upstream)} yet, "
            f"the stage before {env}")


def skipped_envs(config: Config, built: BuiltTrain, env: str) -> list[str]:
    """The path environments between the train's source stage and `env` (for hotfix tracking)."""
    try:
        start = config.stage_index(built.source)
    except SfenvError:
        start = config.stage_index(built.target) - 1
    end = config.stage_index(env)
    return [e for stage in config.stages[start + 1:end] for e in stage]


# -- checklist --------------------------------------------------------------------------------

def open_before_steps(config: Config, train: str, env: str, steps: list[Step],
                      store: SnapshotStore | None = None) -> list[Step]:
    done = current_done(config, store or SnapshotStore(config.root), train, env)
    return [s for s in steps if s.phase == "before" and s.id not in done]


# -- the org ----------------------------------------------------------------------------------

def _failures(result: DeployResult) -> list[ComponentFailure]:
    out = []
    for f in list(result.component_failures) + list(getattr(result, "test_failures", []) or []):
        name = f.get("fullName") or f.get("name") or ""
        kind = f.get("componentType") or ""
        line = f.get("lineNumber")
        out.append(ComponentFailure(component=f"{kind}:{name}" if kind else str(name),
                                    problem=str(f.get("problem") or f.get("message") or ""),
                                    file_name=str(f.get("fileName") or ""),
                                    line=int(line) if line not in (None, "") else None))
    if not out and getattr(result, "error_message", None):
        out.append(ComponentFailure("", str(result.error_message), ""))
    return out


def _components_report(result: DeployResult) -> list[dict[str, Any]]:
    rows = []
    for ok in result.component_successes:
        if ok.get("fullName") in ("package.xml", "destructiveChangesPost.xml",
                                  "destructiveChangesPre.xml"):
            continue
        rows.append({"component": f"{ok.get('componentType') or ''}:{ok.get('fullName')}",
                     "status": "deleted" if str(ok.get("deleted")).lower() == "true"
                     else "created" if str(ok.get("created")).lower() == "true" else "changed",
                     "problem": ""})
    for f in result.component_failures:
        rows.append({"component": f"{f.get('componentType') or ''}:{f.get('fullName')}",
                     "status": "failed", "problem": str(f.get("problem") or "")})
    return rows


def wave_zips(store: SnapshotStore, built: BuiltTrain) -> list[bytes]:
    head = releases_head(store)
    folder = train_folder(built.name)
    if len(built.waves) <= 1:
        names = [folder + "package.zip"]
    else:
        names = [f"{folder}waves/{w.number}/package.zip" for w in built.waves]
    out = []
    for name in names:
        data = store.read_file(head, name)
        if data is None:
            raise ReleaseError(f"{name} is missing on the releases ref: rebuild the train")
        out.append(data)
    return out


def built_src(store: SnapshotStore, built: BuiltTrain,
              values: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """The train's metadata files; with `values`, as deployed to an environment (its values in
    place of the placeholders)."""
    head = releases_head(store)
    prefix = train_folder(built.name) + "src/"
    files = {p: sha for p, sha in store.files(head).items() if p.startswith(prefix)}
    blobs = store.read_blobs(files.values())
    return substitute_files({p[len(prefix):]: blobs[sha] for p, sha in files.items()},
                            values or {})


def env_values(config: Config, built: BuiltTrain, env: str) -> dict[str, str]:
    """`env`'s value for each placeholder of the train; ReleaseError when one is undeclared."""
    return target_values(env, config.env(env), built.placeholders, built.name)


def target_zips(store: SnapshotStore, built: BuiltTrain, values: Mapping[str, str]) -> list[bytes]:
    """The deployable zips for one environment: the stored ones with its values substituted."""
    return [substitute_zip(data, values, f"{built.name} package.zip")
            for data in wave_zips(store, built)]


def zip_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- promote ----------------------------------------------------------------------------------

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
            verify_only: bool = False, abandon: bool = False,
            lock: EnvLock | None = None) -> PromoteResult:
    """See the module docstring. Raises before anything is touched (stage, strict checklist,
    failed backup); afterwards every outcome is logged and returned. The guard refuses (result
    "refused", nothing validated or deployed) when the target changed a component of the train
    since the plan, unless `overwrite` names it or `overwrite_all`."""
    registry = registry or default_registry()
    connect = connect or org_client_connect()
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
    zips = target_zips(store, built, values)
    prior = release_log.unfinished(entries, env)
    if verify_only or abandon:
        return _settle(config, store, built, env, prior, values, problem is None,
                       abandon=abandon, connect=connect, progress=progress, registry=registry,
                       lock=lock)
    if prior is not None and (prior.deploy_ids or pending_intent(prior)):
        if check_only:  # the entry names an accepted (or maybe accepted) deploy: keep it
            raise ReleaseError(
                f"the promotion of {train} to {env} started {prior.started} submitted deploy "
                f"{', '.join(prior.deploy_ids) or '(answer lost)'} and did not finish: run "
                f"`sfenv release promote {train} --to {env}` to follow it, or settle it with "
                f"--verify-only or --abandon; --check-only would validate against a state the "
                f"log cannot vouch for")
        found = _resolve_intent(config, store, train, env, prior, connect)
        if prior.deploy_ids:
            return _resume(config, store, built, env, prior, zips, values, problem is None,
                           connect=connect, progress=progress, registry=registry, lock=lock,
                           found=found)
    if prior is not None:  # interrupted before any deploy was accepted: start over
        prior.result, prior.error = "interrupted", "the process stopped before a deploy"
        prior.finished = now_iso()
        release_log.append(store, train, prior)
    steps: list[str] = []
    if problem:
        steps.append(f"hotfix: {problem}")
    if values:
        steps.append(f"substituted {env}'s values for {len(values)} placeholders: "
                     + ", ".join(sorted(values)))

    backup = pull_mod.backup_env(config, env, connect=connect, store=store, progress=progress,
                                 lock=lock)
    before = backup.pull.commit
    steps.append(f"backup of {env}: {backup.tag} ({before[:12]})")
    # entries granting what neither this target nor the train has: Salesforce rejects them
    zips, fits = fit_zips(zips, target_has(store, before, registry), registry)
    steps += [f"left out of the package for {env}: {f}" for f in fits if not f.deployed]

    uncovered = backup_gaps(built, backup.pull.skipped, registry)
    guarded = GuardOutcome() if uncovered else _guard(
        config, store, built, env, before, values, registry, overwrite, overwrite_all)
    steps += guarded.notes
    found, blocking = guarded.found, guarded.blocking
    named = {c.component for c in guarded.overwritten}
    if guarded.unknown_names:
        steps.append("--overwrite names no conflict: " + ", ".join(guarded.unknown_names))

    checklist = compute_checklist(config, store, built, env, before, registry)
    still_open = open_before_steps(config, train, env, checklist, store)
    if still_open:
        steps.append(f"{len(still_open)} 'before' checklist steps still open: "
                     + ", ".join(s.id for s in still_open[:5]))
        if strict or env_cfg.strict:
            _drop_backup_tag(store, backup.tag)
            raise ReleaseError(f"{len(still_open)} 'before' checklist steps are open for {train} "
                               f"→ {env} (first: {still_open[0].title}); mark them done with "
                               f"`sfenv checklist done` or drop --strict")

    entry = LogEntry(action="promote", env=env, result="", user=current_user(config.root),
                     started=now_iso(), hotfix=bool(problem) or hotfix, backup_tag=backup.tag,
                     backup_commit=before, test_level=env_cfg.effective_test_level(),
                     checklist_open=[s.id for s in still_open],
                     package_digests=[zip_digest(z) for z in zips],
                     conflicts=[c.to_dict() for c in blocking],
                     overwrites=[c.to_dict() for c in found if c.component in named])
    result = PromoteResult(train, env, entry, steps, checklist)
    if uncovered or blocking:  # refused before anything was validated: no backup tag stays
        steps.append(_drop_backup_tag(store, backup.tag))
        entry.backup_tag = ""
    if uncovered:
        steps += [f"not in the backup: {gap}" for gap in uncovered]
        return _finish(config, store, result, "backup_incomplete", error=(
            f"the backup of {env} lacks {len(uncovered)} component(s) of {train} (first: "
            f"{uncovered[0]}): a rollback could not restore them; nothing was deployed"))
    if blocking:
        steps += [f"conflict: {c}" for c in blocking]
        return _finish(config, store, result, "refused", error=(
            f"{len(blocking)} component(s) of {train} changed in {env} since the train was "
            f"planned; the deploy would overwrite them (name each with --overwrite TYPE:NAME, "
            f"or --overwrite-all)"))
    steps += [f"overwriting {env}'s change (--overwrite): {c}" for c in found
              if c.component in named]
    _intent(store, result)  # the log says what is about to happen before it does
    try:
        client = connect(env_cfg, config.api_version)
        check_org(store, env, client)
    except SfenvError as err:  # nothing ran: the attempt ends here, logged
        if isinstance(err, ConfigError):
            _finish(config, store, result, "refused", error=str(err))
            raise
        return _finish(config, store, result, "validation_failed",
                       error=f"could not reach {env} to validate: {err}")

    for number, data in enumerate(zips, 1):
        label = f"wave {number}/{len(zips)}" if len(zips) > 1 else "package"
        try:
            validation = client.deploy(data, check_only=True, test_level=entry.test_level)
        except OrgError as err:
            return _finish(config, store, result, "validation_failed",
                           error=f"validation of the {label} could not run: {err}")
        result.validation_components += _components_report(validation)
        if not validation.success:
            entry.validation_id = validation.id
            return _finish(config, store, result, "validation_failed", _failures(validation),
                           f"validation of the {label} failed ({validation.status})")
        entry.validation_id = validation.id
        steps.append(f"validated the {label} on {env}: {validation.id}")
        _intent(store, result)
        if check_only:
            if len(zips) > 1:
                steps.append("--check-only validates the first wave only: later waves need the "
                             "earlier ones deployed")
            return _finish(config, store, result, "validated")
        if number == 1 and env_cfg.production and not confirm(production_question(built, env)):
            return _finish(config, store, result, "cancelled", error="declined at the prompt")
        try:
            deployed = _deploy(store, env, client, result, data, validation.id)
        except OrgError as err:
            if not entry.deploy_ids and not isinstance(err, DeployUnknownError):
                # refused at submission: nothing was accepted
                return _finish(config, store, result, "deploy_failed",
                               error=f"deploy of the {label} could not be submitted: {err}")
            if not entry.deploy_ids:  # the answer was lost and the org lists no deploy
                return _finish(config, store, result, "deploy_unknown", error=(
                    f"the deploy of the {label} may not have been accepted by {env} ({err}); "
                    f"run the same `sfenv release promote {train} --to {env}` again: it asks "
                    f"{env} first and submits nothing twice"))
            return _finish(config, store, result, "deploy_unknown", error=(
                f"deploy {entry.deploy_ids[-1]} was accepted by {env} but its outcome could not "
                f"be read ({err}); run the same `sfenv release promote {train} --to {env}` "
                f"again: it follows that deploy instead of submitting another"))
        if deployed.id not in entry.deploy_ids:
            entry.deploy_ids.append(deployed.id)
        if not deployed.success:
            return _finish(config, store, result, "deploy_failed", _failures(deployed),
                           f"deploy of the {label} failed ({deployed.status})")
        steps.append(f"deployed the {label} to {env}: {deployed.id}")

    return _complete(config, store, built, env, result, values, checklist, problem is None,
                     connect=connect, progress=progress, registry=registry, lock=lock)


def _complete(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
              result: PromoteResult,
              values: Mapping[str, str], checklist: list[Step], record_sync: bool, *,
              connect: Callable, progress: Progress | None, registry: Registry,
              lock: EnvLock | None = None) -> PromoteResult:
    """After the deploy: pull again and verify, record who made what, build the rollback
    package, freeze the checklist, record the sync point and the outcome."""
    entry, steps, train = result.entry, result.steps, result.train
    before = entry.backup_commit
    try:
        after = pull_mod.pull_env(config, env, connect=connect, store=store,
                                  progress=progress, lock=lock).commit
    except SfenvError as err:  # deployed, not verified: the next run resumes from here
        return _finish(config, store, result, release_log.UNVERIFIED, error=(
            f"deployed to {env} ({', '.join(entry.deploy_ids)}) but the verification pull "
            f"failed: {err}; run the same `sfenv release promote {train} --to {env}` again "
            f"to verify and finish"))
    entry.after_commit = after
    src, _ = fit_src(built_src(store, built, values), target_has(store, before, registry),
                     registry)
    check = verify(src,
                   [ComponentId.parse(c) for c in built.components],
                   [ComponentId.parse(c) for c in built.deletes], StoreTree(store, after),
                   registry)
    entry.verification = check.to_dict()
    steps.append(f"verified {env} after the deploy: "
                 + ("holds the train as built" if check.ok else
                    f"{len(check.mismatches)} mismatches"))

    _record_origins(store, built, env, before, after, registry)
    rollback_files = _rollback_files(config, store, built, env, before, after,
                                     entry.backup_tag, registry)
    entry.rollback_folder = f"{train_folder(train)}rollback/{env}/"
    steps.append(f"rollback package: {entry.rollback_folder}")
    # the checklist as computed against the pre-deploy backup is the record from now on
    freeze_checklist(store, train, env, checklist, before, backup_tag=entry.backup_tag,
                     by=entry.user, when=now_iso(), reason="promotion", config=config)
    if record_sync:  # a hotfix leaves upstream behind: its change must show as drift
        entry.sync_before = _record_sync(config, store, built, env, after, train)
    error = "" if check.ok else verification_failed(check.mismatches)
    return _finish(config, store, result, "deployed", error=error, extra=rollback_files)


def verification_failed(mismatches: list[dict[str, str]]) -> str:
    """The record's (and the CLI's) line for a deploy the org accepted whose result differs
    from the package: the CLI exits 4 on it."""
    return (f"deployed; verification failed: {len(mismatches)} mismatch(es): "
            + ", ".join(f"{m['component']} ({m['problem']})" for m in mismatches[:5]))


def _resume(config: Config, store: SnapshotStore, built: BuiltTrain, env: str, prior: LogEntry,
            zips: list[bytes], values: Mapping[str, str], record_sync: bool, *,
            connect: Callable, progress: Progress | None, registry: Registry,
            lock: EnvLock | None = None, found: str | None = None) -> PromoteResult:
    """The last promotion to `env` stopped after Salesforce accepted a deploy: ask the org for
    that deploy by id and finish the promotion from there (never a second submission)."""
    if len(zips) > 1:
        raise ReleaseError(f"the promotion of {built.name} to {env} started {prior.started} "
                           f"was interrupted during a deploy in waves; resuming waves is not "
                           f"supported: check deploy {prior.deploy_ids[-1]} in Setup, then "
                           f"--verify-only or --abandon")
    deploy_id = prior.deploy_ids[-1]
    result = PromoteResult(built.name, env, prior, [])
    if found:
        result.steps.append(f"the promotion started {prior.started} stopped before deploy "
                            f"{found}'s id was logged: {env} lists it as accepted since then")
    result.steps.append(f"resuming the promotion started {prior.started}: following deploy "
                        f"{deploy_id}")
    client = connect(config.env(env), config.api_version)
    check_org(store, env, client)
    try:
        deployed = client.wait_deploy(deploy_id)
    except DeployUnknownError as err:
        return _finish(config, store, result, "deploy_unknown", error=(
            f"deploy {deploy_id} was accepted by {env} but its outcome could not be read "
            f"({err}); run the same `sfenv release promote {built.name} --to {env}` again, or "
            f"settle it with --verify-only or --abandon"))
    except OrgError as err:  # e.g. INVALID_ID_FIELD: the org no longer knows the id
        return _finish(config, store, result, "deploy_unknown", error=(
            f"{env} could not report deploy {deploy_id} ({err}); settle the promotion with "
            f"`sfenv release promote {built.name} --to {env} --verify-only` (pull and check "
            f"{env} holds the train) or --abandon"))
    result.validation_components = _components_report(deployed)
    if not deployed.success:
        return _finish(config, store, result, "deploy_failed", _failures(deployed),
                       f"deploy {deploy_id} ended {deployed.status}")
    result.steps.append(f"deploy {deploy_id} to {env} had succeeded ({deployed.status})")
    checklist = compute_checklist(config, store, built, env, prior.backup_commit, registry)
    result.checklist = checklist
    return _complete(config, store, built, env, result, values, checklist, record_sync,
                     connect=connect, progress=progress, registry=registry, lock=lock)


def _settle(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
            prior: LogEntry | None, values: Mapping[str, str], record_sync: bool, *,
            abandon: bool, connect: Callable, progress: Progress | None, registry: Registry,
            lock: EnvLock | None = None) -> PromoteResult:
    """The ways out of a promotion whose deploy the org cannot report: `--verify-only`
    pulls `env` and finishes the promotion if `env` holds the train (exit 4 if not);
    `--abandon` closes the entry as abandoned, so the next promote starts over. Both are
    recorded (`LogEntry.resolution`)."""
    flag = "--abandon" if abandon else "--verify-only"
    if prior is None:
        raise ReleaseError(f"{flag}: no unfinished promotion of {built.name} to {env} in the "
                           f"log (nothing to settle)")
    result = PromoteResult(built.name, env, prior, [])
    prior.resolution = {"how": flag.lstrip("-"), "by": current_user(config.root),
                        "at": now_iso(), "was": prior.result}
    if abandon:
        result.steps.append(f"abandoned the promotion started {prior.started} (deploys "
                            f"{', '.join(prior.deploy_ids) or 'none logged'}); nothing was "
                            f"verified: check {env} before promoting again")
        return _finish(config, store, result, "abandoned", error=(
            f"abandoned by {prior.resolution['by']} ({prior.result}): the outcome of deploy "
            f"{', '.join(prior.deploy_ids) or '(none logged)'} in {env} was never known"))
    result.steps.append(f"--verify-only: checking that {env} holds {built.name} without "
                        f"following deploy {', '.join(prior.deploy_ids) or '(none logged)'}")
    checklist = compute_checklist(config, store, built, env, prior.backup_commit, registry)
    result.checklist = checklist
    return _complete(config, store, built, env, result, values, checklist, record_sync,
                     connect=connect, progress=progress, registry=registry, lock=lock)


def _drop_backup_tag(store: SnapshotStore, tag: str) -> str:
    """Remove the backup tag of a promotion refused before validation (issue 11: a refused
    promotion leaves no tag behind; the snapshot stays in the environment's history and the
    log entry keeps its commit)."""
    store.git.run(["update-ref", "-d", f"refs/tags/{tag}"])
    return f"backup tag {tag} removed: the promotion was refused, nothing was deployed"


def _intent(store: SnapshotStore, result: PromoteResult) -> None:
    """Record the promotion as in progress (with what is known so far) before the next step."""
    result.entry.result = release_log.IN_PROGRESS
    release_log.append(store, result.train, result.entry)


def production_question(built: BuiltTrain, env: str) -> str:
    """What a production deploy will do, asked (or, with --yes, printed) before it runs."""
    text = (f"Deploy release {built.name} to production {env}: {len(built.components)} "
            f"components, {len(built.deletes)} destructive (deletions)")
    if built.deletes:
        text += ": " + ", ".join(built.deletes)
    return text + "?"


def backup_gaps(built: BuiltTrain, skipped: Sequence[dict], registry: Registry) -> list[str]:
    """The train's components (or their parents) the backup's retrieve skipped, with why."""
    ids = set(built.components) | set(built.deletes)
    owners = set(ids)
    for text in ids:
        try:
            owners.add(str(registry.parent_id(ComponentId.parse(text))))
        except (KeyError, ValueError):
            continue
    return [f"{s.get('component')} ({s.get('reason') or 'skipped'})" for s in skipped
            if str(s.get("component")) in owners]


def _record_origins(store: SnapshotStore, built: BuiltTrain, env: str, before: str, after: str,
                    registry: Registry) -> None:
    """Who made each change this promotion brought into `env`: the author the train's source
    snapshot names (the org now names the deploy user), with the date `env` gave it after the
    deploy, so status attributes the change to its author until someone edits it again."""
    source_index = compare_diff.component_index(store, built.source_commit)
    found: dict[str, dict] = {}
    ids = set(built.components)
    for change in compare_diff.diff_commits(store, before, after, registry=registry).changes:
        cid = str(change.component)
        parent = str(change.parent) if change.parent else None
        if change.kind == "removed" or (cid not in ids and parent not in ids):
            continue
        origin = source_index.get(cid) or (source_index.get(parent) if parent else None) or {}
        found[cid] = {"by": origin.get("lastModifiedByName"),
                      "date": origin.get("lastModifiedDate"),
                      "deployed_date": change.new_by.last_modified_date,
                      "train": built.name, "source": built.source}
    found.update(upstream_origins(store, built, before, after, found))
    if found:
        record_origins(store, env, found, f"release {built.name}")


def _guard(config: Config, store: SnapshotStore, built: BuiltTrain, env: str, fresh: str,
           values: Mapping[str, str], registry: Registry, overwrite: Sequence[str],
           overwrite_all: bool) -> GuardOutcome:
    """The target's changes since the plan that the train would overwrite (`guard` module)."""
    if reference_commit(built, env) is None:
        return guard_promotion(store, built, env, fresh, [], {}, registry)
    changes = train_changes(store, built, fresh, env, registry,
                            Neutralizer.for_envs(config.env(env),
                                                 config.environments.get(built.source)))
    src, _ = fit_src(built_src(store, built, values), target_has(store, fresh, registry),
                     registry)
    return guard_promotion(store, built, env, fresh, changes, src, registry, overwrite,
                           overwrite_all, config=config)


def _deploy(store: SnapshotStore, env: str, client: Deployer, result: PromoteResult,
            data: bytes, validation_id: str) -> DeployResult:
    """Quick deploy of the validation where the org allows it, else a full deploy; each
    submit's intent is logged before it and its id as soon as it returns (`deploying`). A
    submit whose answer is lost is never followed by another one, and an accepted deploy is
    followed to its end: an error while waiting propagates (DeployUnknownError)."""
    entry, steps = result.entry, result.steps

    def record() -> None:
        _intent(store, result)

    digest = zip_digest(data)
    quick = new_intent("quick", validation_id=validation_id, digest=digest)
    try:
        deploy_id = submit_once(store, env, client, entry, quick,
                                lambda: client.submit_quick_deploy(validation_id), record, steps)
    except DeployUnknownError:
        raise
    except OrgError as err:  # refused at submission: nothing runs, a full deploy may
        quick["refused"] = str(err)
        steps.append(f"quick deploy refused by {env}: {err}; deploying the package")
        deploy_id = submit_once(
            store, env, client, entry, new_intent("full", digest=digest),
            lambda: client.submit_deploy(data, check_only=False, test_level=entry.test_level),
            record, steps)
    return client.wait_deploy(deploy_id)


def _resolve_intent(config: Config, store: SnapshotStore, train: str, env: str,
                    prior: LogEntry, connect: Callable) -> str | None:
    """A rerun after the process stopped between a submit and its id reaching the log: ask
    the org which deploy it accepted since the intent and log it (None when it lists none:
    nothing was accepted, the intent is closed)."""
    intent = pending_intent(prior)
    if intent is None:
        return None
    client = connect(config.env(env), config.api_version)
    check_org(store, env, client)
    found = find_accepted(store, env, client, intent)
    if found is None:
        intent["refused"] = f"{env} lists no deploy accepted since {intent['at']}"
        return None
    accepted(prior, intent, found, [], env)
    release_log.append(store, train, prior)
    return found


def _rollback_files(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                    before: str, after: str,
                    backup_tag: str, registry: Registry) -> dict[str, bytes]:
    ids = [ComponentId.parse(c) for c in built.components + built.deletes]
    pkg, changes = rollback_package(ids, StoreTree(store, before), StoreTree(store, after),
                                    registry, config.api_version)
    prefix = f"rollback/{env}/"
    files = {prefix + p: b for p, b in pkg.files.items()}
    files[prefix + "package.zip"] = write_zip(pkg.zip_members())
    info = {"env": env, "backup_tag": backup_tag, "before_commit": before, "after_commit": after,
            "restore": sorted(str(c.component) for c in changes if c.kind != "removed"),
            "destroy": [str(c) for c in pkg.deleted]}
    files[prefix + "rollback.json"] = (json.dumps(info, indent=2, sort_keys=True) + "\n").encode()
    return files


def _record_sync(config: Config, store: SnapshotStore, built: BuiltTrain, env: str, after: str,
                 train: str) -> dict[str, str]:
    """The hop into `env` now has a base for the components it made equal. Returns the hop
    and its sync ref's commit before ({"hop", "commit", "recorded"}) for a rollback."""
    upstream = config.upstream_of(env)
    if built.source in upstream and env == built.target:
        source, source_commit = built.source, built.source_commit
    elif upstream and store.head(upstream[0]):
        source, source_commit = upstream[0], store.head(upstream[0])
    else:
        return {}
    old = store.ref_commit(sync_ref(source, env)) or ""
    new = record_sync_point(store, source, env, source_commit, after, f"release {train}",
                            by=current_user(config.root), config=config)
    return {"hop": f"{source}/{env}", "commit": old, "recorded": new}


def _restore_sync(store: SnapshotStore, promoted: LogEntry, train: str) -> str:
    """After a rollback, give the hop the base it had before the promotion (and with it the
    checklist's audit window): only when no later sync point was recorded since."""
    info = promoted.sync_before
    if not info or "/" not in info.get("hop", ""):
        return ""
    source, env = info["hop"].split("/", 1)
    ref = sync_ref(source, env)
    now = store.ref_commit(ref)
    recorded = info.get("recorded")
    # unmoved: the ref is where the promotion left it, or a later rollback (of a train stacked
    # on this one) restored that same record in a new commit
    same = now == recorded or (now is not None and recorded is not None and
                               store.read_file(now, SYNC_FILE) == store.read_file(recorded,
                                                                                  SYNC_FILE))
    if not same:
        return f"the sync point of {source} → {env} moved since the promotion: left as it is"
    if info.get("commit"):
        data = store.read_file(info["commit"], SYNC_FILE) or b""
        store.write_ref_commit(ref, {SYNC_FILE: data},
                               f"sfenv rollback of release {train}: base of {source} → {env} "
                               f"restored\n", expected_old=now)
    else:
        store.delete_ref(ref, now)
    return f"restored the base of {source} → {env} from before the promotion"


def _add_undo_steps(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                    promoted: LogEntry,
                    entry: LogEntry, result: PromoteResult, registry: Registry) -> None:
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
    result.steps.append(f"{len(steps)} checklist step(s) to undo manual changes: "
                        + ", ".join(s.id for s in steps[:5]))


def _finish(config: Config, store: SnapshotStore, result: PromoteResult, outcome: str,
            failures: list[ComponentFailure] | None = None, error: str = "",
            extra: dict[str, bytes] | None = None) -> PromoteResult:
    entry = result.entry
    entry.result = outcome
    entry.failures = failures or []
    entry.error = error
    entry.finished = now_iso()
    if error:
        result.steps.append(error)
    _commit, log_bytes = release_log.append(store, result.train, entry, extra)
    export(config, result.train, {"log.json": log_bytes, **(extra or {})})
    return result


# -- rollback ---------------------------------------------------------------------------------

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
            raise ReleaseError(
                f"{', '.join(later)} {'is' if len(later) == 1 else 'are'} deployed to {env} on "
                f"top of {train}: rolling {train} back would undo {'it' if len(later) == 1 else 'them'} "
                f"without a record; roll back {later[0]} first, or pass --with-later to roll "
                f"back {', '.join(later)} then {train}, newest first")
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


def later_trains(store: SnapshotStore, train: str, env: str) -> list[str]:
    """The trains deployed to `env` (and not rolled back) after `train`'s deploy there,
    newest first."""
    mine = env_states(release_log.read_log(store, train)).get(env)
    if mine is None or mine.result != "deployed":
        return []
    since = mine.finished or mine.started
    found = []
    for other in list_trains(store, "log.json"):
        if other == train:
            continue
        state = env_states(release_log.read_log(store, other)).get(env)
        if state is not None and state.result == "deployed" and \
                (state.finished or state.started) > since:
            found.append((state.finished or state.started, other))
    return [name for _when, name in sorted(found, reverse=True)]


def _rollback(config: Config, store: SnapshotStore, train: str, env: str, *,
             confirm: Callable[[str], bool] | None = None, connect: Callable | None = None,
             progress: Progress | None = None, registry: Registry | None = None,
             overwrite: Sequence[str] = (), overwrite_all: bool = False,
             lock: EnvLock | None = None) -> PromoteResult:
    """Deploy the rollback package recorded for `env`, pull again and check it is the backup.
    Like a promotion: the org id is checked before the deploy, the intent is logged before
    the submit and the id as soon as it returns, and a rerun after an interruption follows
    the deploy already accepted instead of submitting the package again."""
    registry = registry or default_registry()
    connect = connect or org_client_connect()
    built = load_train(store, train)  # a clear error for an unknown train
    env_cfg = config.env(env)
    entries = release_log.read_log(store, train)
    prior = release_log.unfinished(entries, env, "rollback")
    states = env_states(entries)
    last = states.get(env)
    if prior is None and (last is None or last.result != "deployed"):
        raise ReleaseError(f"release {train} is not deployed to {env}: nothing to roll back")
    promoted = _last_deployed(entries, env)
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
    client: Deployer | None = None
    if prior is not None:
        if pending_intent(prior) is not None and not prior.deploy_ids:
            _resolve_intent(config, store, train, env, prior, connect)
        if not prior.deploy_ids:  # nothing was accepted: this attempt ends, a fresh one runs
            prior.result, prior.error = "interrupted", "the process stopped before a deploy"
            prior.finished = now_iso()
            release_log.append(store, train, prior)
            prior = None
    if prior is not None:
        entry = prior
        if not entry.steps_done:  # an entry from before the step runner
            entry.steps_done = ["deploy", "wait"] if entry.result == release_log.UNVERIFIED \
                else ["deploy"]
        result = PromoteResult(train, env, entry, [
            f"resuming the rollback started {entry.started}: following deploy "
            f"{entry.deploy_ids[-1]}"])
    else:
        entry = LogEntry(action="rollback", env=env, result="", user=current_user(config.root),
                         started=now_iso(), backup_tag=info.get("backup_tag", ""),
                         backup_commit=info.get("before_commit", ""),
                         test_level=env_cfg.effective_test_level(),
                         package_digests=[zip_digest(data)])
        result = PromoteResult(train, env, entry, [])
        if not confirm(f"Roll back release {train} on {env} to backup {entry.backup_tag}?"):
            return _finish(config, store, result, "cancelled", error="declined at the prompt")
    try:
        client = connect(env_cfg, config.api_version)
    except OrgError as err:
        if prior is not None:
            raise
        return _finish(config, store, result, "rollback_failed",
                       error=f"the rollback deploy to {env} did not complete: {err}")
    check_org(store, env, client)  # before anything is logged or deployed (exit 2)
    if prior is None:  # a resumed rollback deployed already: its own change is no conflict
        refused = _guard_rollback(config, store, built, env, result, info, promoted, registry,
                                  overwrite, overwrite_all, connect=connect, progress=progress,
                                  lock=lock)
        if refused is not None:
            return refused
    steps = _rollback_steps(config, store, built, env, result, client, data, info, promoted,
                            connect=connect, progress=progress, registry=registry, lock=lock)
    start = resume_point(steps, entry)[0] if prior is not None else 0
    return run_steps(steps, entry, lambda: _intent(store, result),
                     lambda: _finish(config, store, result, "rolled_back"), start)


def _rollback_steps(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                    result: PromoteResult, client: Deployer, data: bytes,
                    info: dict[str, Any], promoted: LogEntry, *, connect: Callable,
                    progress: Progress | None, registry: Registry,
                    lock: EnvLock | None) -> list[RunStep]:
    """A rollback as steps (`release.runner`): deploy the rollback package (intent and id
    logged around the submit; followed on a rerun), wait for it, then pull, verify, add the
    undo steps and give the hop its earlier base back."""
    entry, train = result.entry, built.name

    def unknown(err: OrgError) -> PromoteResult:
        return _finish(config, store, result, "deploy_unknown", error=(
            f"the rollback deploy {', '.join(entry.deploy_ids) or '(answer lost)'} to {env} "
            f"may have run but its outcome is unknown ({err}); run the same `sfenv release "
            f"rollback {train} --env {env}` again: it follows that deploy"))

    def deploy() -> PromoteResult | None:
        if entry.deploy_ids:  # accepted in an earlier run: followed, never submitted again
            return None
        try:
            submit_once(
                store, env, client, entry, new_intent("rollback", digest=zip_digest(data)),
                lambda: client.submit_deploy(data, check_only=False,
                                             test_level=entry.test_level),
                lambda: _intent(store, result), result.steps)
        except OrgError as err:
            if isinstance(err, DeployUnknownError):
                return unknown(err)
            return _finish(config, store, result, "rollback_failed",
                           error=f"the rollback deploy to {env} did not complete: {err}")
        return None

    def wait() -> PromoteResult | None:
        deploy_id = entry.deploy_ids[-1]
        try:
            deployed = client.wait_deploy(deploy_id)
        except OrgError as err:
            return unknown(err)
        result.validation_components = _components_report(deployed)
        if not deployed.success:
            return _finish(config, store, result, "rollback_failed", _failures(deployed),
                           f"rollback deploy failed ({deployed.status})")
        result.steps.append(f"deployed the rollback package to {env}: {deployed.id}")
        return None

    def check() -> PromoteResult | None:
        return _rollback_verify(config, store, built, env, result, info, promoted,
                                connect=connect, progress=progress, registry=registry,
                                lock=lock)

    return [RunStep("deploy", deploy, "follow"), RunStep("wait", wait),
            RunStep("verify", check)]


def _guard_rollback(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
                    result: PromoteResult, info: dict[str, Any], promoted: LogEntry,
                    registry: Registry, overwrite: Sequence[str], overwrite_all: bool, *,
                    connect: Callable, progress: Progress | None,
                    lock: EnvLock | None) -> PromoteResult | None:
    """The guard of a rollback: pull `env` and name the changes made there by hand since the
    promotion (its verification snapshot) that the rollback package would overwrite. Refused
    (result "refused", exit 1, nothing deployed) unless `overwrite` names each of them or
    `overwrite_all`; the overwritten ones are recorded. None: go on."""
    entry, steps = result.entry, result.steps
    if not promoted.after_commit:
        steps.append(f"guard: the promotion of {built.name} to {env} recorded no snapshot "
                     f"after its deploy; nothing to compare {env} with")
        return None
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
                            promoted.after_commit, fresh, changes, src, registry)
    named = {c.component for c in found} if overwrite_all else set(overwrite)
    blocking = [c for c in found if c.component not in named]
    entry.overwrites = [c.to_dict() for c in found if c.component in named]
    steps.append(f"guard: {len(found)} component(s) changed in {env} since the promotion"
                 if found else f"guard: nothing the rollback writes changed in {env} since "
                               f"the promotion")
    unknown = sorted(set(overwrite) - {c.component for c in found})
    if unknown:
        steps.append("--overwrite names no conflict: " + ", ".join(unknown))
    if blocking:
        entry.conflicts = [c.to_dict() for c in blocking]
        steps.extend(f"conflict: {c}" for c in blocking)
        return _finish(config, store, result, "refused", error=(
            f"{len(blocking)} component(s) the rollback of {built.name} would overwrite "
            f"changed in {env} since the promotion (name each with --overwrite TYPE:NAME, or "
            f"--overwrite-all)"))
    steps.extend(f"overwriting {env}'s change (--overwrite): {c}" for c in found
                 if c.component in named)
    return None


def org_client_connect() -> Callable:
    """The real org client's `connect` (imported on use: it loads zeep)."""
    from sfenv.io.org import client as org_client

    return org_client.connect


def _last_deployed(entries: list[LogEntry], env: str) -> LogEntry | None:
    """The promotion a rollback of `env` undoes: the last `deployed` promote entry there."""
    found = None
    for e in entries:
        if e.env == env and e.action == "promote" and e.result == "deployed":
            found = e
    return found


def _rollback_verify(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
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
        return _finish(config, store, result, release_log.UNVERIFIED, error=(
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
    _add_undo_steps(config, store, built, env, promoted, entry, result, registry)
    if not check.ok:
        return _finish(config, store, result, "rollback_incomplete", error=(
            f"rolled back; verification failed: {env} is not back to the backup for "
            f"{len(check.mismatches)} component(s): "
            + ", ".join(f"{m['component']} ({m['problem']})" for m in check.mismatches[:5])))
    restored_base = _restore_sync(store, promoted, train)
    if restored_base:
        result.steps.append(restored_base)
    return None
