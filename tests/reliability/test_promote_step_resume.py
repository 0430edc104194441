"""Resuming at every step boundary (issue 21): a promotion and a rollback are step lists on
the one runner, and a rerun after an interruption at any boundary continues where the log
entry says. The interruption is raised in the runner's `record` right after a step is logged
as done (or, for the steps before the log entry exists, in the next step). Whatever the
boundary, the rerun ends with exactly one deploy accepted by the org, named by exactly one
log entry, one backup tag, and nothing left in progress. (Interrupted before the log entry
exists, in the guard, the first attempt's backup stays as a plain backup: no entry names it
and the rerun takes its own.)"""

from __future__ import annotations

import pytest

from tests.reliability.promote_kit import Path2, finished_deployed, snap, two_orgs
from tests.reliability.test_promote_exactly_once import accepted, exactly_once

PROMOTE_STEPS = ["backup", "guard", "validate", "recheck", "deploy", "wait", "verify",
                 "rollback-package", "checklist", "sync-point"]
ROLLBACK_STEPS = ["deploy", "wait", "verify"]


class Interrupted(BaseException):
    """Not an Exception: nothing in sfenv may catch it, as nothing catches a kill."""


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from two_orgs(tmp_path_factory.mktemp("stepresume"))


def interrupt_after(monkeypatch, step: str, target, attribute: str) -> list[str]:
    """Make `target.attribute` (a record function) raise once right after `step` is logged
    as done; returns a list that says it fired."""
    original = getattr(target, attribute)
    fired: list[str] = []

    def record(*args, **kwargs):
        original(*args, **kwargs)
        entry = _entry_of(args)
        if not fired and entry.step == step and step in entry.steps_done:
            fired.append(step)
            raise Interrupted(step)

    monkeypatch.setattr(target, attribute, record)
    return fired


def _entry_of(args: tuple):
    first = args[0] if len(args) == 1 else args[1]  # Promotion.record(self) / log_intent(store, r)
    return first.entry


def entries(p: Path2, train: str, action: str) -> list[dict]:
    return [e for e in p.log(train) if e["env"] == "qa" and e["action"] == action]


def one_attempt_deployed(p: Path2, train: str, action: str, new: list[str]) -> dict:
    mine = entries(p, train, action)
    named = [e for e in mine if e["deploy_ids"]]
    assert len(named) == 1 and named[0]["deploy_ids"] == new, mine
    assert all(e["result"] == "interrupted" for e in mine if e is not named[0]), mine
    assert not [e for e in mine if e["result"] == "in_progress"], mine
    return named[0]


@pytest.mark.parametrize("step", PROMOTE_STEPS)
def test_a_promotion_interrupted_after_each_step_resumes_and_deploys_once(path2, monkeypatch,
                                                                          step):
    from sfenv.services.promote import promote as promote_mod
    from sfenv.services.promote.promotion import Promotion

    train, value = path2.new_train()
    before, tags = accepted(path2), snap(path2).tags
    if step in ("backup", "guard"):  # not logged steps: the next step is interrupted
        original = promote_mod.guard_step if step == "backup" else promote_mod.wave_steps
        fired: list[str] = []
        if step == "backup":
            def stop(p):
                fired.append(step)
                raise Interrupted(step)
            monkeypatch.setattr(promote_mod, "guard_step", stop)
        else:
            def stop_validate(p, number):
                steps = original(p, number)
                def run():
                    fired.append(step)
                    raise Interrupted(step)
                return [type(steps[0])(steps[0].name, run, steps[0].on_resume), *steps[1:]]
            monkeypatch.setattr(promote_mod, "wave_steps", stop_validate)
    else:
        fired = interrupt_after(monkeypatch, step, Promotion, "record")
    with pytest.raises(Interrupted):
        path2.cli("release", "promote", train, "--to", "qa")
    assert fired == [step]
    monkeypatch.undo()
    again = path2.cli("release", "promote", train, "--to", "qa")
    assert again.exit_code == 0, again.output
    new = exactly_once(path2, before)
    assert len(new) == 1, f"{len(new)} deploys of {train} accepted by qa: {new}"
    entry = one_attempt_deployed(path2, train, "promote", new)
    assert entry == finished_deployed(path2, train, value)
    added = set(path2.store.tags("backup/qa/")) - set(tags)
    assert entry["backup_tag"] in added
    if step == "backup":  # stopped before any log entry: its backup is a plain one
        assert len(added) == 2, added
    else:  # an attempt closed without a deploy leaves no tag (as a refused one)
        assert added == {entry["backup_tag"]}, f"backup tags left by the attempts: {added}"
    if step not in ("backup", "guard", "validate", "recheck"):  # a deploy was accepted
        assert "resuming the promotion" in again.output
    assert entry["steps_done"] == PROMOTE_STEPS and entry["step"] == ""


@pytest.mark.parametrize("step", ROLLBACK_STEPS)
def test_a_rollback_interrupted_after_each_step_resumes_and_deploys_once(path2, monkeypatch,
                                                                         step):
    from sfenv.services.promote import steps_rollback

    train, value = path2.new_train()
    old = snap(path2).value
    path2.ok("release", "promote", train, "--to", "qa")
    before = accepted(path2)
    fired = interrupt_after(monkeypatch, step, steps_rollback, "log_intent")
    with pytest.raises(Interrupted):
        path2.cli("release", "rollback", train, "--env", "qa", "--yes")
    assert fired == [step]
    monkeypatch.undo()
    again = path2.cli("release", "rollback", train, "--env", "qa", "--yes")
    assert again.exit_code == 0, again.output
    assert "resuming the rollback" in again.output
    new = exactly_once(path2, before)
    assert len(new) == 1, f"{len(new)} rollback deploys accepted by qa: {new}"
    entry = one_attempt_deployed(path2, train, "rollback", new)
    assert entry["result"] == "rolled_back" and entry["verification"]["ok"], entry
    assert path2.value_in_org("qa") == old
    assert entry["steps_done"] == ROLLBACK_STEPS
