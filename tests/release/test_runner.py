"""The step runner (`release.runner`): intent before and outcome after each step in the log
entry, and a rerun after an interruption at any step boundary continues from the first step
not done, so a step that must run once (a deploy) never runs twice."""

from __future__ import annotations

import pytest

from sfenv.services.promote.runner import Step, resume_point, run_steps
from sfenv.services.train.model import LogEntry, PromoteResult

NAMES = ("deploy", "wait", "verify")


class Interrupted(Exception):
    pass


def make(entry: LogEntry, ran: list[str], stop_in: str | None, log: list[tuple[str, tuple]]):
    def step(name: str):
        def run() -> None:
            if name == stop_in:
                raise Interrupted(name)
            ran.append(name)
        return Step(name, run, "follow" if name == "deploy" else "again")

    def record() -> None:
        log.append((entry.step, tuple(entry.steps_done)))

    return [step(n) for n in NAMES], record


@pytest.mark.parametrize("stop_in", NAMES)
def test_an_interruption_at_each_step_resumes_there_and_runs_each_step_once(stop_in):
    entry = LogEntry(action="rollback", env="qa", result="in_progress", user="u", started="t")
    ran: list[str] = []
    log: list[tuple[str, tuple]] = []
    steps, record = make(entry, ran, stop_in, log)
    with pytest.raises(Interrupted):
        run_steps(steps, entry, record, lambda: PromoteResult("R1", "qa", entry, ["done"]))
    assert entry.step == stop_in  # the log says which step was running
    done_before = NAMES[:NAMES.index(stop_in)]
    assert entry.steps_done == list(done_before)
    start, policy = resume_point(steps, entry)
    assert NAMES[start] == stop_in and policy == ("follow" if stop_in == "deploy" else "again")
    steps, record = make(entry, ran, None, log)
    result = run_steps(steps, entry, record,
                       lambda: PromoteResult("R1", "qa", entry, ["done"]), start)
    assert result.steps == ["done"] and entry.steps_done == list(NAMES) and entry.step == ""
    assert ran == list(NAMES)  # every step once, the deploy included
    # intent before and outcome after each step that ran
    assert ("deploy", ()) in log and ("verify", ("deploy", "wait")) in log


def test_a_step_that_returns_a_result_ends_the_run_without_the_later_steps():
    entry = LogEntry(action="rollback", env="qa", result="", user="u", started="t")
    ran: list[str] = []
    refused = PromoteResult("R1", "qa", entry, ["refused"])
    steps = [Step("deploy", lambda: ran.append("deploy") and None),
             Step("wait", lambda: refused), Step("verify", lambda: ran.append("verify") and None)]
    out = run_steps(steps, entry, lambda: None, lambda: PromoteResult("R1", "qa", entry, []))
    assert out is refused and ran == ["deploy"] and entry.steps_done == ["deploy"]


def test_a_step_with_an_unknown_resume_policy_is_refused():
    with pytest.raises(ValueError):
        Step("deploy", lambda: None, "sometimes")


def test_resume_restarts_before_anything_irreversible_and_follows_what_was_accepted():
    """`resume`: the first step not done decides; a restart step, or a follow step with
    nothing to follow, closes the attempt (None); an accepted deploy is followed; steps not
    logged (before the entry exists) run but record nothing."""
    from sfenv.services.promote.runner import resume

    accepted: list[str] = []
    steps = [Step("backup", lambda: None, "restart", logged=False),
             Step("validate", lambda: None, "restart"),
             Step("deploy", lambda: None, "follow", followable=lambda: bool(accepted)),
             Step("wait", lambda: None)]
    entry = LogEntry(action="promote", env="qa", result="in_progress", user="u", started="t",
                     steps_done=["backup"])
    assert resume(steps, entry) is None  # validation: nothing deployed, start over
    entry.steps_done = ["backup", "validate"]
    assert resume(steps, entry) is None  # no deploy accepted: start over
    accepted.append("0Af1")
    assert resume(steps, entry) == 2  # accepted: follow it
    entry.steps_done = ["backup", "validate", "deploy", "wait"]
    assert resume(steps, entry) == 4  # all done: only the outcome is left to record

    records: list[str] = []
    fresh = LogEntry(action="promote", env="qa", result="", user="u", started="t")
    run_steps(steps, fresh, lambda: records.append(fresh.step),
              lambda: PromoteResult("R1", "qa", fresh, []))
    assert "backup" not in records and records.count("validate") == 2
    assert fresh.steps_done == ["backup", "validate", "deploy", "wait"]
