"""A promotion's or rollback's outcome as the event the team is told about (or None).

Exceptions go to every channel by default: a refusal by the guard (with what the target
changed, who and when), a failed validation or deploy, a deploy whose verification failed, any
rollback. A production deploy that went well is news: only channels that list
`production_deployed` get it.
"""

from __future__ import annotations

from sfenv.core.compare.counts import counted
from sfenv.services.notify.events import Event
from sfenv.services.train.model import PromoteResult

MAX_LINES = 20


def _conflict_line(c: dict) -> str:
    who = c.get("changed_by") or "unknown"
    when = f" on {c['changed_on']}" if c.get("changed_on") else ""
    return f"{c.get('component', '?')}: changed in the target by {who}{when}"


def release_event(result: PromoteResult, *, action: str, production: bool) -> Event | None:
    """`action`: promote | rollback. None when there is nothing to tell."""
    entry = result.entry
    facts = tuple((n, v) for n, v in (("train", result.train), ("by", entry.user),
                                      ("deploy", ", ".join(entry.deploy_ids)),
                                      ("backup", entry.backup_tag)) if v)
    verification_failed = entry.result in ("deployed", "rolled_back") and bool(
        entry.verification) and not entry.verification.get("ok", True)
    if entry.result == "refused":
        return Event("promotion_refused", f"{result.train} refused in {result.env}",
                     env=result.env, summary=entry.error, facts=facts,
                     lines=tuple(_conflict_line(c) for c in entry.conflicts[:MAX_LINES]),
                     command=f"sfenv release plan {result.train} --to {result.env}")
    if verification_failed:
        return Event("verification_failed", f"{result.train}: {result.env} does not hold what "
                                            f"was deployed", env=result.env,
                     summary=entry.error or "deployed; verification failed", facts=facts,
                     command=f"sfenv release status {result.train}")
    if action == "rollback":
        return Event("rollback", f"{result.train} rolled back in {result.env}"
                     if result.ok else f"rollback of {result.train} in {result.env}: "
                                       f"{entry.result}", env=result.env,
                     summary=entry.error, facts=facts)
    if not result.ok and entry.result not in ("cancelled", "abandoned"):
        return Event("promotion_failed", f"{result.train} to {result.env}: {entry.result}",
                     env=result.env, summary=entry.error, facts=facts,
                     lines=tuple(f"{f.component}: {f.problem}" for f in entry.failures[:MAX_LINES]))
    if entry.result == "deployed" and production:
        return Event("production_deployed", f"{result.train} deployed to {result.env}",
                     env=result.env, summary=f"{counted(len(result.checklist), 'checklist step')} "
                                            f"to follow", facts=facts)
    return None
