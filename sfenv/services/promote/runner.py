"""One runner for a release step list (a promotion, a rollback, a settled promotion): before
each step the release log says which step is about to run (`LogEntry.step`, result
`in_progress`), after it the step is in `LogEntry.steps_done`. A rerun after an interruption
continues from the first step not done, as that step's `on_resume` says: "again" (idempotent:
run it again), "restart" (nothing irreversible happened yet: close the entry as interrupted
and start a fresh attempt) or "follow" (the step picks up what it started, e.g. a deploy the
org accepted; its `followable()` says whether there is anything to follow, else restart).

Steps with `logged=False` run before the attempt has a log entry (the backup and the guard:
a refusal there is recorded by the step itself, an interruption leaves nothing to resume).

A step ends the run early by returning a finished `PromoteResult` (a refusal, a failure).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sfenv.services.train.model import LogEntry, PromoteResult

RESUME_POLICIES = ("again", "restart", "follow")


@dataclass(frozen=True)
class Step:
    """One step: `run()` does it (None: go on; a PromoteResult: the run ends with it)."""

    name: str
    run: Callable[[], PromoteResult | None]
    on_resume: str = "again"
    logged: bool = True
    followable: Callable[[], bool] | None = None

    def __post_init__(self) -> None:
        if self.on_resume not in RESUME_POLICIES:
            raise ValueError(f"step {self.name}: on_resume must be one of {RESUME_POLICIES}")


def resume_point(steps: Sequence[Step], entry: LogEntry) -> tuple[int, str]:
    """Where a rerun of `entry` continues: (index of the first step not done, its policy);
    (len(steps), "again") when every step is done but the outcome was never recorded."""
    done = set(entry.steps_done)
    for index, step in enumerate(steps):
        if step.name not in done:
            return index, step.on_resume
    return len(steps), "again"


def resume(steps: Sequence[Step], entry: LogEntry) -> int | None:
    """The index a rerun of `entry` continues from, or None when the attempt must be closed
    and a fresh one started (a "restart" step, or a "follow" step with nothing to follow)."""
    index, policy = resume_point(steps, entry)
    if policy == "restart":
        return None
    if policy == "follow":
        followable = steps[index].followable
        if followable is not None and not followable():
            return None
    return index


def run_steps(steps: Sequence[Step], entry: LogEntry, record: Callable[[], None],
              done: Callable[[], PromoteResult], start: int = 0) -> PromoteResult:
    """Run `steps[start:]`, logging intent and outcome around each logged step; `done()`
    records the outcome once the last step has run."""
    for step in steps[start:]:
        entry.step = step.name
        if step.logged:
            record()
        ended = step.run()
        if ended is not None:
            return ended
        if step.name not in entry.steps_done:
            entry.steps_done.append(step.name)
        if step.logged:
            record()
    entry.step = ""
    return done()
