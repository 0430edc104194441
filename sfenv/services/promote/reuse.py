"""Quick deploy of an earlier validation (#28's merge job): a `release promote --check-only`
records its validation id and the digest of the package it validated; a later promotion of
the same train to the same environment whose package (fitted to the target as it is now) has
the same digest, within Salesforce's 10 days, deploys that validation instead of validating
again. Salesforce may still refuse it (a deploy since, tests out of date): the deploy step then
deploys the package in full, as it does for any refused quick deploy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sfenv.services.train.model import LogEntry

QUICK_DEPLOY_DAYS = 10  # Salesforce keeps a validation quick-deployable for 10 days


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reusable_validation(entries: list[LogEntry], env: str, digests: list[str],
                        now: datetime | None = None) -> LogEntry | None:
    """The check-only entry whose validation this promotion may quick deploy: the latest
    attempt on `env` that changed or validated it, `validated`, of the same package digests,
    younger than 10 days. None otherwise (a deploy or rollback since makes it stale)."""
    last = None
    for entry in entries:
        if entry.env == env and entry.result in ("validated", "deployed", "rolled_back"):
            last = entry
    if last is None or last.result != "validated" or not last.validation_id:
        return None
    if not digests or last.package_digests != digests:
        return None
    when = _moment(last.finished or last.started)
    now = now or datetime.now(UTC)
    if when is None or now - when >= timedelta(days=QUICK_DEPLOY_DAYS):
        return None
    return last
