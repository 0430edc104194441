"""The ways out of a promotion whose deploy the org cannot report: `--verify-only` pulls the
environment and finishes the promotion if it holds the train (exit 4 if not), running the
completion steps; `--abandon` closes the entry as abandoned, so the next promote starts over.
Both are recorded (`LogEntry.resolution`)."""

from __future__ import annotations

from sfenv.errors import ReleaseError
from sfenv.services.promote.complete_steps import completion_steps, outcome
from sfenv.services.promote.promotion import Promotion
from sfenv.services.promote.runner import run_steps
from sfenv.services.train.model import LogEntry, PromoteResult
from sfenv.services.train.train import now_iso


def settle(p: Promotion, prior: LogEntry | None, *, abandon: bool, by: str) -> PromoteResult:
    """Settle `prior` (the unfinished promotion of `p`'s train to its environment)."""
    flag = "--abandon" if abandon else "--verify-only"
    env, train = p.env, p.built.name
    if prior is None:
        raise ReleaseError(f"{flag}: no unfinished promotion of {train} to {env} in the "
                           f"log (nothing to settle)")
    p.result.entry = prior
    prior.resolution = {"how": flag.lstrip("-"), "by": by, "at": now_iso(), "was": prior.result}
    deploys = ", ".join(prior.deploy_ids) or "(none logged)"
    if abandon:
        p.notes.append(f"abandoned the promotion started {prior.started} (deploys "
                       f"{', '.join(prior.deploy_ids) or 'none logged'}); nothing was "
                       f"verified: check {env} before promoting again")
        return p.finish("abandoned", error=(
            f"abandoned by {by} ({prior.result}): the outcome of deploy {deploys} in {env} "
            f"was never known"))
    p.notes.append(f"--verify-only: checking that {env} holds {train} without following "
                   f"deploy {deploys}")
    p.the_checklist()
    return run_steps(completion_steps(p), prior, p.record, lambda: outcome(p))
