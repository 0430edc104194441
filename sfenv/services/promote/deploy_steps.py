"""The steps of one wave of a promotion: validate, deploy (quick deploy of the validation where
the org allows it, else the package), wait for the org's answer. A deploy is submitted once:
its intent is logged before the submit and its id as soon as it returns (`deploying`); a rerun
follows an accepted deploy instead of submitting another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfenv.core.compare.counts import counted
from sfenv.errors import ConfigError, DeployUnknownError, OrgError, SfenvError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.promote.artifacts import (
    components_report,
    deploy_failures,
    production_question,
    zip_digest,
)
from sfenv.services.promote.deploying import Deployer, new_intent, pending_intent, submit_once
from sfenv.services.promote.guard_parts import NAME_EACH, guard_lines
from sfenv.services.promote.promotion import Promotion
from sfenv.services.promote.recheck import changed_since
from sfenv.services.promote.recording import drop_backup_tag, log_intent, resolve_intent
from sfenv.services.promote.reuse import reusable_validation
from sfenv.services.promote.runner import Step
from sfenv.services.records import release_log
from sfenv.services.train.model import PromoteResult

if TYPE_CHECKING:
    from sfenv.io.org.client import DeployResult


def submit_wave(store: SnapshotStore, env: str, client: Deployer, result: PromoteResult,
                data: bytes, validation_id: str) -> str:
    """Quick deploy of the validation where the org allows it, else a full deploy; returns the
    accepted id (logged). A submit whose answer is lost is never followed by another one
    (DeployUnknownError)."""
    entry, notes = result.entry, result.steps

    def record() -> None:
        log_intent(store, result)

    digest = zip_digest(data)
    quick = new_intent("quick", validation_id=validation_id, digest=digest)
    try:
        return submit_once(store, env, client, entry, quick,
                           lambda: client.submit_quick_deploy(validation_id), record, notes)
    except DeployUnknownError:
        raise
    except OrgError as err:  # refused at submission: nothing runs, a full deploy may
        quick["refused"] = str(err)
        notes.append(f"quick deploy refused by {env}: {err}; deploying the package")
        return submit_once(
            store, env, client, entry, new_intent("full", digest=digest),
            lambda: client.submit_deploy(data, check_only=False, test_level=entry.test_level),
            record, notes)


def deploy_and_wait(store: SnapshotStore, env: str, client: Deployer, result: PromoteResult,
                    data: bytes, validation_id: str) -> DeployResult:
    """`submit_wave` then the org's answer; an error while waiting propagates."""
    return client.wait_deploy(submit_wave(store, env, client, result, data, validation_id))


def validate(p: Promotion, number: int) -> PromoteResult | None:
    """Validate the wave (check-only deploy with the environment's test level); the first
    wave also connects (and checks the org id). --check-only ends here."""
    entry, env, label = p.entry, p.env, p.label(number)
    if number == 1:
        try:
            p.org()
        except SfenvError as err:  # nothing ran: the attempt ends here, logged
            if isinstance(err, ConfigError):
                p.finish("refused", error=str(err))
                raise
            return p.finish("validation_failed", error=f"could not reach {env} to validate: {err}")
    data = p.fitted_zips()[number - 1]
    earlier = reusable_validation(release_log.read_log(p.store, p.built.name), env,
                                  entry.package_digests) \
        if number == 1 and len(p.zips) == 1 and not p.check_only else None
    if earlier is not None:  # the deploy step quick deploys it (a full deploy if refused)
        entry.validation_id = earlier.validation_id
        p.notes.append(f"reusing the validation {earlier.validation_id} of "
                       f"{earlier.finished or earlier.started} (--check-only, same package "
                       f"digest): no new validation")
        return None
    try:
        validation = p.org().deploy(data, check_only=True, test_level=entry.test_level)
    except OrgError as err:
        return p.finish("validation_failed", error=f"validation of the {label} could not run: {err}")
    p.result.validation_components += components_report(validation)
    entry.validation_id = validation.id
    if not validation.success:
        return p.finish("validation_failed", deploy_failures(validation),
                        f"validation of the {label} failed ({validation.status})")
    p.notes.append(f"validated the {label} on {env}: {validation.id}")
    if p.check_only:
        if len(p.zips) > 1:
            p.notes.append("--check-only validates the first wave only: later waves need the "
                           "earlier ones deployed")
        return p.finish("validated")
    return None


def deploy(p: Promotion, number: int) -> PromoteResult | None:
    """Submit the wave (asking first for production); a wave already accepted is followed."""
    entry, env, label, train = p.entry, p.env, p.label(number), p.built.name
    if len(entry.deploy_ids) >= number:  # accepted in an earlier run: the wait follows it
        return None
    if number == 1 and p.env_cfg.production and \
            (p.confirm is None or not p.confirm(production_question(p.built, env))):
        return p.finish("cancelled", error="declined at the prompt")
    try:
        submit_wave(p.store, env, p.org(), p.result, p.fitted_zips()[number - 1],
                    entry.validation_id)
    except OrgError as err:
        if len(entry.deploy_ids) < number and not isinstance(err, DeployUnknownError):
            # refused at submission: nothing was accepted
            return p.finish("deploy_failed",
                            error=f"deploy of the {label} could not be submitted: {err}")
        # the answer was lost and the org lists no deploy
        return p.finish("deploy_unknown", error=(
            f"the deploy of the {label} may not have been accepted by {env} ({err}); run the "
            f"same `sfenv release promote {train} --to {env}` again: it asks {env} first and "
            f"submits nothing twice"))
    return None


def followable(p: Promotion, number: int) -> bool:
    """On a rerun: was this wave's deploy accepted? An intent logged without an id is looked
    up in the org first (the process stopped between the submit and the log)."""
    entry = p.entry
    if len(entry.deploy_ids) >= number:
        return True
    if pending_intent(entry) is None:
        return False
    found = resolve_intent(p.store, p.built.name, p.env, entry, p.org())
    if found:
        p.notes.append(f"the promotion started {entry.started} stopped before deploy "
                       f"{found}'s id was logged: {p.env} lists it as accepted since then")
    return found is not None


def wait(p: Promotion, number: int) -> PromoteResult | None:
    """Follow the wave's accepted deploy to its end."""
    entry, env, train = p.entry, p.env, p.built.name
    deploy_id = entry.deploy_ids[number - 1]
    try:
        deployed = p.org().wait_deploy(deploy_id)
    except DeployUnknownError as err:
        return p.finish("deploy_unknown", error=(
            f"deploy {deploy_id} was accepted by {env} but its outcome could not be read "
            f"({err}); run the same `sfenv release promote {train} --to {env}` again: it "
            f"follows that deploy instead of submitting another, or settle it with "
            f"--verify-only or --abandon"))
    except OrgError as err:  # e.g. INVALID_ID_FIELD: the org no longer knows the id
        if not p.resumed:
            return p.finish("deploy_unknown", error=(
                f"deploy {deploy_id} was accepted by {env} but its outcome could not be read "
                f"({err}); run the same `sfenv release promote {train} --to {env}` again: it "
                f"follows that deploy instead of submitting another"))
        return p.finish("deploy_unknown", error=(
            f"{env} could not report deploy {deploy_id} ({err}); settle the promotion with "
            f"`sfenv release promote {train} --to {env} --verify-only` (pull and check "
            f"{env} holds the train) or --abandon"))
    if deployed.id not in entry.deploy_ids:
        entry.deploy_ids.append(deployed.id)
    if p.resumed:
        p.result.validation_components = components_report(deployed)
    if not deployed.success:
        return p.finish("deploy_failed", deploy_failures(deployed),
                        f"deploy {deploy_id} ended {deployed.status}" if p.resumed else
                        f"deploy of the {p.label(number)} failed ({deployed.status})")
    p.notes.append(f"deploy {deploy_id} to {env} had succeeded ({deployed.status})" if p.resumed
                   else f"deployed the {p.label(number)} to {env}: {deployed.id}")
    return None


def wave_ids(p: Promotion, number: int) -> tuple[list[str], list[str]]:
    """(what the wave's deploy changes, what earlier waves' deploys changed): the first wave
    re-checks every carried component (none is deployed yet); a later wave its own members,
    and the deletions with the last wave."""
    if number == 1 or len(p.built.waves) < number:
        return p.built.components + p.built.deletes, []
    own = list(p.built.waves[number - 1].members)
    if number == len(p.built.waves):
        own += p.built.deletes
    return own, [m for wave in p.built.waves[:number - 1] for m in wave.members]


def recheck(p: Promotion, number: int = 1) -> PromoteResult | None:
    """Just before each wave's deploy call: refuse, like the guard, when the org reports a
    component of the wave changed since the backup (during the validation, or during an
    earlier wave's deploy) that --overwrite does not name (`recheck`); named ones are recorded
    as overwritten. A wave whose deploy was already submitted (a rerun) is not re-checked:
    its own deploy changed those dates."""
    entry, env, train, label = p.entry, p.env, p.built.name, p.label(number)
    if len(entry.deploy_ids) >= number or pending_intent(entry) is not None:
        return None
    own, deployed = wave_ids(p, number)
    try:
        found = changed_since(p.store, entry.backup_commit, p.org(), own, p.registry,
                              skip=deployed)
    except OrgError as err:
        return p.finish("deploy_failed", error=(
            f"could not re-check {env}'s components before the deploy of the {label}: {err}; "
            + ("nothing was deployed" if number == 1 else
               f"{counted(number - 1, 'earlier wave')} deployed, the rest not")))
    if not found:
        p.notes.append(f"re-checked {env} before the deploy"
                       + (f" of the {label}" if number > 1 else "")
                       + ": nothing the train carries changed since the backup")
        return None
    named = {c.component for c in found} if p.overwrite_all else set(p.overwrite)
    blocking = [c for c in found if c.component not in named]
    recorded = {c.get("component") for c in entry.overwrites}
    entry.overwrites += [c.to_dict() for c in found
                         if c.component in named and c.component not in recorded]
    p.notes.extend(guard_lines(env, blocking, found))
    if not blocking:
        return None
    entry.conflicts = [c.to_dict() for c in blocking]
    if number == 1:  # nothing deployed: no backup to keep
        p.notes.append(drop_backup_tag(p.store, entry.backup_tag))
        entry.backup_tag = ""
        return p.finish("refused", error=(
            f"{counted(len(blocking), 'component')} of {train} changed in {env} after the "
            f"backup, while the promotion validated; the deploy would overwrite them "
            f"({NAME_EACH})"))
    return p.finish("refused", error=(
        f"{counted(len(blocking), 'component')} of the {label} of {train} changed in {env} "
        f"after the backup, while earlier waves deployed; {counted(number - 1, 'earlier wave')} "
        f"deployed, the rest not (backup {entry.backup_tag} kept): {NAME_EACH}, and promote "
        f"again"))


def recheck_name(number: int) -> str:
    """The first wave's re-check is `recheck` in every train (as logged before later waves had
    one), a later wave's `recheck-N`."""
    return "recheck" if number == 1 else f"recheck-{number}"


def wave_steps(p: Promotion, number: int) -> list[Step]:
    """validate, re-check, deploy (followed), wait (again). The first wave's validation and
    re-check restart the attempt on a rerun (nothing was deployed); a later wave's run again."""
    first = number == 1
    return [Step(p.step_name("validate", number), lambda: validate(p, number),
                 "restart" if first else "again"),
            Step(recheck_name(number), lambda: recheck(p, number),
                 "restart" if first else "again"),
            Step(p.step_name("deploy", number), lambda: deploy(p, number), "follow",
                 followable=lambda: followable(p, number)),
            Step(p.step_name("wait", number), lambda: wait(p, number))]
