"""Every deploy the org accepts is recorded exactly once (issue 23).

Before a submit, the log gets an intent (`LogEntry.deploy_intents`: kind, validation id or
package digest, time); as soon as the submit returns, the deploy's id (before any wait). A
submit whose answer is lost (5xx, connection closed, "already deployed") is never answered
by another submit: the org is asked which deploys it accepted since the intent (the Tooling
API's DeployRequest) and the one found is followed. A rerun after a kill does the same for an
intent that has no id yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sfenv.errors import DeployUnknownError, OrgError, OrgIdentityError, SubmitUnknownError
from sfenv.services.records import release_log as release_log
from sfenv.services.records.org_identity import recorded_org_id, same_org
from sfenv.services.train.model import LogEntry
from sfenv.services.train.train import list_trains, now_iso

if TYPE_CHECKING:
    from sfenv.io.org.client import DeployResult
    from sfenv.io.store.snapshots import SnapshotStore

# how far before the intent a DeployRequest may be dated (the org's clock against ours)
CLOCK_SKEW = timedelta(seconds=60)


class Deployer(Protocol):
    """What a deploy needs of an org client (`OrgClient`; tests pass fakes)."""

    org_id: str

    @property
    def username(self) -> str | None: ...

    def submit_quick_deploy(self, validation_id: str) -> str: ...

    def submit_deploy(self, zip_bytes: bytes, *, check_only: bool = ...,
                      test_level: str = ...) -> str: ...

    def wait_deploy(self, deploy_id: str) -> DeployResult: ...

    def recent_deploys(self, since: str) -> list[dict]: ...


def check_org(store: SnapshotStore, env: str, client: Deployer) -> None:
    """Refuse (OrgIdentityError, exit 2) to deploy into an org other than the one `env`'s
    snapshots were taken from: the block may point at another org (even production)."""
    recorded = recorded_org_id(store, env, store.head(env))
    org_id = getattr(client, "org_id", "") or ""
    if recorded and org_id and not same_org(recorded, org_id):
        raise OrgIdentityError(
            f"{env}: the org answered with org id {org_id}, but {env} is bound to org id "
            f"{recorded}; nothing was deployed: fix {env}'s URL and credentials in sfenv.yml "
            f"(or, after a refresh, `sfenv pull {env} --new-org` first)")


def new_intent(kind: str, *, validation_id: str = "", digest: str = "") -> dict[str, str]:
    """`kind`: quick (a validation's quick deploy), full (the package) or rollback."""
    return {"kind": kind, "validation_id": validation_id, "digest": digest, "at": now_iso(),
            "id": ""}


def pending_intent(entry: LogEntry) -> dict[str, str] | None:
    """The entry's last intent when its submit never got an id into the log."""
    last = entry.deploy_intents[-1] if entry.deploy_intents else None
    if last is None or last.get("id") or last.get("refused"):
        return None
    return last


def _known_ids(store: SnapshotStore, env: str) -> set[str]:
    """Every deploy id any train's log names for `env` (15-character form)."""
    known: set[str] = set()
    for train in list_trains(store, "log.json"):
        for entry in release_log.read_log(store, train):
            if entry.env == env:
                known |= {d[:15] for d in entry.deploy_ids}
    return known


def find_accepted(store: SnapshotStore, env: str, client: Deployer,
                  intent: dict[str, str]) -> str | None:
    """The deploy the org accepted for `intent` (one no log names yet, by our user, created
    since the intent), None when the org has none; DeployUnknownError when several match."""
    at = datetime.strptime(intent["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    since = (at - CLOCK_SKEW).strftime("%Y-%m-%dT%H:%M:%SZ")
    known = _known_ids(store, env)
    user = client.username
    rows = [r for r in client.recent_deploys(since)
            if str(r.get("Id"))[:15] not in known
            and (not user or not r.get("CreatedByUsername") or r["CreatedByUsername"] == user)]
    after = [r for r in rows if str(r.get("CreatedDate") or "")[:19] >= intent["at"][:19]]
    found = after if len(after) == 1 else rows
    if not found:
        return None
    if len(found) > 1:
        raise DeployUnknownError(
            f"{env}: {len(found)} deploys no log names were accepted since {intent['at']} "
            f"({', '.join(str(r['Id']) for r in found[:5])}): sfenv cannot tell which one is "
            f"this promotion's; check them in Setup → Deployment Status, then run the promote "
            f"again with --verify-only or --abandon", deploy_id="")
    return str(found[0]["Id"])


def submit_once(store: SnapshotStore, env: str, client: Deployer, entry: LogEntry,
                intent: dict[str, str], submit: Callable[[], str],
                record: Callable[[], None], steps: list[str]) -> str:
    """Log `intent`, submit, and log the accepted id before anyone waits for it. A lost
    answer is resolved by asking the org (never a second submit): DeployUnknownError when
    it names no deploy or several."""
    entry.deploy_intents.append(intent)
    record()
    try:
        deploy_id = submit()
    except OrgError as err:
        if not is_ambiguous(err):
            raise
        steps.append(f"{err}: asking {env} which deploy it accepted")
        found = find_accepted(store, env, client, intent)
        if found is None:
            raise DeployUnknownError(
                f"{err}; {env} lists no deploy since {intent['at']}: nothing was submitted "
                f"again", deploy_id="", code=err.code) from None
        deploy_id = found
        steps.append(f"{env} accepted deploy {deploy_id} for it: following it")
    accepted(entry, intent, deploy_id, steps, env)
    record()
    return deploy_id


def is_ambiguous(err: OrgError) -> bool:
    """A submit whose answer was lost (`SubmitUnknownError`): the org may have accepted it."""
    return isinstance(err, SubmitUnknownError)


def accepted(entry: LogEntry, intent: dict[str, str], deploy_id: str, steps: list[str],
             env: str) -> None:
    intent["id"] = deploy_id
    if deploy_id not in entry.deploy_ids:
        entry.deploy_ids.append(deploy_id)
    steps.append(f"deploy {deploy_id} accepted by {env}")
