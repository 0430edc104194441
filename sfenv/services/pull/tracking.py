"""Source tracking: what changed in an org since the previous snapshot, from SourceMember.

Scratch orgs and Developer / Developer Pro sandboxes with source tracking keep one Tooling API
`SourceMember` row per changed component (type, name, `RevisionCounter`, `IsNameObsolete` for
a delete), updated in place with the next value of one org-wide counter. Other orgs answer a
query for it with INVALID_TYPE. A pull records the counter it started from in the snapshot
meta (`source_tracking.revision`); the next incremental pull asks for the rows above it and
lists only the types they name, plus the types tracking does not record
(`Registry.source_untracked`) and those re-read every time (`Registry.always_refreshed`).
Every other type keeps the previous snapshot's rows (see `list_inventory`'s `carried`).

The counter is read before anything is listed, so a change made while a pull runs is seen
again by the next one (reading it twice is harmless; missing it would not be).

SourceMember promises less than a listing: a change may get no row, an edit made while
tracking was off has none, a moved report has a row for its new name only, and a counter that
was reset and grew past the recorded value hides the rows in between. So (`plan_listing`):
- any discontinuity lists everything: a counter lower than recorded, the row the last pull
  ended at gone (`anchor`: rows are updated in place, never deleted, so it only disappears
  when tracking was reset), fewer rows created up to the last pull's second than it counted
  (`counted_to`, `rows`: rows lost below the anchor), or a counter that moved with no row
  above the recorded value;
- the rows carried from the last snapshot are verified against a full listing (cheap:
  listMetadata only; what moved is retrieved) every `pull.verify_every`th pull, and on every
  backup (`verifying`), so a backup never rests on an unverified incremental snapshot;
- the snapshot meta records it: `source_tracking.verified` (this pull listed everything) and
  `unverified_pulls` (incremental pulls since the last one that did).
"""

from __future__ import annotations

import contextvars
import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sfenv.core.metadata.registry import Registry
from sfenv.errors import OrgError
from sfenv.services.pull.orgport import PullClient

META_KEY = "source_tracking"
NOT_TRACKED = "INVALID_TYPE"  # "sObject type 'SourceMember' is not supported."
LATEST = "SELECT RevisionCounter FROM SourceMember ORDER BY RevisionCounter DESC LIMIT 1"
LATEST_ROW = ("SELECT Id, RevisionCounter, LastModifiedDate FROM SourceMember "
              "ORDER BY RevisionCounter DESC LIMIT 1")
# the rows created up to a second (`counted_to`): updates leave a row's CreatedDate alone and
# rows are never deleted, so this count never falls, whatever changed since, unless rows
# were lost (a total count would not show a lost row when a new row took its place)
COUNT_TO = "SELECT COUNT() FROM SourceMember WHERE CreatedDate <= {when}"
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_VERIFY = contextvars.ContextVar("sfenv_verify_tracking", default=False)
SINCE = ("SELECT MemberType, MemberName, IsNameObsolete, RevisionCounter FROM SourceMember "
         "WHERE RevisionCounter > {revision} ORDER BY RevisionCounter")
# the rows above the recorded counter and the anchor row in one query: the anchor check costs
# no call of its own, which pays for the row count (`COUNT`) that shows rows lost below it
SINCE_AND_ANCHOR = ("SELECT Id, MemberType, MemberName, IsNameObsolete, RevisionCounter, "
                    "CreatedDate FROM SourceMember WHERE RevisionCounter > {revision} OR Id = '{anchor}' "
                    "ORDER BY RevisionCounter")


@dataclass(frozen=True)
class Relist:
    """The types an incremental pull lists again; a folder content type in `folders` is
    listed only in those folders (its other folders' rows are carried over)."""

    types: frozenset[str]
    folders: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # folder content type -> the names (last level) SourceMember gave for it: a moved report
    # has a row for its new name only, so the folder holding the old name is listed too
    names: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def lists(self, type_name: str, full_name: str) -> bool:
        """Whether the component's row comes from this pull's listing (else it is carried)."""
        if type_name not in self.types:
            return False
        only = self.folders.get(type_name)
        return only is None or full_name.split("/", 1)[0] in only


@dataclass
class Changes:
    """What SourceMember says changed since the previous snapshot's counter."""

    rows: int  # SourceMember rows read
    relist: Relist | None  # None: list everything
    reason: str = ""  # why everything is listed, when it is


def latest_revision(client: PullClient) -> int | None:
    """The org's current RevisionCounter (0 with no row yet); None when the org has no
    source tracking (production, most sandboxes)."""
    try:
        rows = client.query(LATEST, tooling=True)
    except OrgError as err:
        if err.code == NOT_TRACKED:
            return None
        raise
    return int(rows[0]["RevisionCounter"]) if rows else 0


def listing_scope(types: Mapping[str, list[str]], exclude: list[str],
                  include_managed: bool) -> str:
    """What decides which rows a listing keeps (manifest types, exclusions, managed): rows
    carried from a snapshot listed under another scope would not be a full pull's rows."""
    text = json.dumps([sorted((t, sorted(m)) for t, m in types.items()), sorted(exclude),
                       include_managed])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def since_when(previous_meta: dict[str, Any] | None, revision: int | None, scope: str, *,
               incremental: bool, verify_every: int = 0,
               unverified: int | None = None) -> tuple[int | None, str]:
    """(the counter to ask SourceMember from, or None to list everything; why).
    `verify_every`: list everything when this would be the Nth pull in a row trusting
    SourceMember (0: never for that reason); inside `verifying()`, always."""
    if revision is None:
        return None, "full listing (the org has no source tracking)"
    if not incremental:
        return None, "full listing"
    if _VERIFY.get():
        return None, "full listing (a backup verifies the rows source tracking carried)"
    if unverified is None:
        unverified = ((previous_meta or {}).get(META_KEY) or {}).get("unverified_pulls")
    if verify_every and isinstance(unverified, int) and unverified + 1 >= verify_every:
        return None, (f"full listing (verifying the rows source tracking carried: every "
                      f"{verify_every} pulls)")
    recorded = (previous_meta or {}).get(META_KEY) or {}
    if not isinstance(recorded.get("revision"), int):
        return None, "full listing (the last snapshot recorded no source-tracking counter)"
    if recorded.get("scope") != scope:
        return None, "full listing (manifest, exclude or include_managed changed)"
    if (previous_meta or {}).get("skipped"):
        return None, "full listing (the last snapshot has skipped or missing components)"
    if recorded["revision"] > revision:
        return None, "full listing (the org's counter went back: a refreshed sandbox?)"
    return recorded["revision"], ""


def changes_since(client: PullClient, revision: int, registry: Registry,
                  latest: int | None = None) -> Changes:
    """The rows above `revision`; everything is listed when they cannot account for the
    counter's move to `latest` (read before): rows missing above the recorded value."""
    rows = client.query(SINCE.format(revision=int(revision)), tooling=True)
    return _changes(rows, revision, registry, latest)


def _changes(rows: list[dict[str, Any]], revision: int, registry: Registry,
             latest: int | None) -> Changes:
    """`changes_since` of rows already read (all above `revision`)."""
    if latest is not None and latest > revision:
        top = max((int(r.get("RevisionCounter") or 0) for r in rows), default=0)
        if top < latest:
            return Changes(len(rows), None, f"the counter moved from {revision} to {latest} "
                           f"but the rows above {revision} end at {top}: rows are missing")
    members = [(str(r.get("MemberType") or ""), str(r.get("MemberName") or "")) for r in rows]
    return Changes(len(rows), *to_relist(members, registry))


def to_relist(members: Iterable[tuple[str, str]],
              registry: Registry) -> tuple[Relist | None, str]:
    """(what to list again, ""), or (None, why) when a row names a type sfenv does not know
    (listing everything is the safe answer). `members`: (MemberType, MemberName) pairs."""
    out: set[str] = set(registry.source_untracked()) | set(registry.always_refreshed())
    folders: dict[str, set[str]] = {}
    for member_type, member_name in set(members):
        name = registry.source_member_type(member_type)
        if name is None:
            return None, f"SourceMember names type {member_type!r}, unknown to the registry"
        out.add(name)
        found = registry.child(name)
        if found is not None:  # its parent's file changes with it
            out.add(found[0].name)
        t = registry.get(name)
        if t.folder_type:  # a report changed: list its folder only
            folders.setdefault(name, set()).add(member_name.split("/", 1)[0]
                                                if "/" in member_name else "")
    for name in list(out):  # a folder changed (added, renamed, gone): list all of its contents
        content = registry.folder_content_type(name)
        if content is not None:
            out.add(content.name)
            folders.pop(content.name, None)
    for name in list(out):
        listed = registry.find(name)
        if listed is not None and listed.folder_type and name not in folders:
            out.add(listed.folder_type)  # every folder is listed with all of its contents
    partial = {t: frozenset(f) for t, f in folders.items() if "" not in f}
    names = {t: frozenset(n.rsplit("/", 1)[-1] for mt, n in set(members)
                          if registry.source_member_type(mt) == t) for t in partial}
    return Relist(frozenset(out), partial, names), ""


@contextmanager
def verifying() -> Iterator[None]:
    """Pulls inside the block list everything (a backup verifies what tracking carried)."""
    token = _VERIFY.set(True)
    try:
        yield
    finally:
        _VERIFY.reset(token)


@dataclass
class Listing:
    """How a pull lists: `relist` None lists everything; `recorded` goes to the meta."""

    relist: Relist | None
    how: str
    recorded: dict[str, Any]  # meta["source_tracking"]; {} on an org without tracking


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Latest:
    """SourceMember's top row: the counter, its row's Id (the next pull's anchor), and the
    second every row existing now was created by (its last change, rounded up)."""

    revision: int
    anchor: str = ""
    second: str = ""  # `2026-12-06T16:11:44Z`; "" with no row yet


def latest_row(client: PullClient) -> Latest | None:
    """The org's top SourceMember row (`Latest(0)` with no row yet), or None when the org
    has no source tracking."""
    try:
        rows = client.query(LATEST_ROW, tooling=True)
    except OrgError as err:
        if err.code == NOT_TRACKED:
            return None
        raise
    if not rows:
        return Latest(0)
    return Latest(int(rows[0]["RevisionCounter"]), str(rows[0].get("Id") or ""),
                  _second_after(rows[0].get("LastModifiedDate")))


def _when(value: object) -> datetime.datetime | None:
    """A Salesforce datetime (`2026-12-06T16:11:43.203Z`, `…+0000`), or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _second_after(value: object) -> str:
    """`value` rounded up to the second, as a SOQL literal ("" when it is no datetime)."""
    when = _when(value)
    if when is None:
        return ""
    when = when.astimezone(datetime.UTC)
    if when.microsecond:
        when = when.replace(microsecond=0) + datetime.timedelta(seconds=1)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_listing(client: PullClient, registry: Registry, types: Mapping[str, list[str]], exclude: list[str],
                 include_managed: bool, previous_meta: dict[str, Any] | None, *, incremental: bool,
                 verify_every: int, state_dir: Path | None = None) -> Listing:
    """How this pull lists (see the module docstring): everything, or the types SourceMember
    names since the last snapshot when nothing says its rows cannot be trusted.

    `state_dir` (the repository's git directory): where the pulls trusting SourceMember are
    counted per org. The snapshot meta alone cannot count them: a pull that changes nothing
    writes no commit, so an org that rarely changes would never be verified."""
    latest = latest_row(client)
    if latest is None:
        return Listing(None, "full listing (the org has no source tracking)", {})
    revision = latest.revision
    scope = listing_scope(types, exclude, include_managed)
    counted = _pulls_since_verified(state_dir, client.org_id) if state_dir else None
    since, how = since_when(previous_meta, revision, scope, incremental=incremental,
                            verify_every=verify_every, unverified=counted)
    relist = None
    rows: int | None = None
    if since is not None:
        changes, rows = _incremental(client, since, registry, latest, previous_meta)
        relist = changes.relist
        how = (f"source tracking: {_counted(changes.rows, 'change')}" if relist is not None
               else f"full listing ({changes.reason})")
    carried = counted if counted is not None else \
        ((previous_meta or {}).get(META_KEY) or {}).get("unverified_pulls")
    unverified = ((carried if isinstance(carried, int) else 0) + 1) if relist is not None else 0
    if state_dir:
        _remember_pulls(state_dir, client.org_id, unverified)
    if rows is None:
        rows = _row_count(client, latest.second)
    recorded = {"revision": revision, "scope": scope, "anchor": latest.anchor, "rows": rows,
                "counted_to": latest.second, "verified": relist is None,
                "unverified_pulls": unverified}
    return Listing(relist, how, recorded)


def _memory_path(state_dir: Path) -> Path:
    return state_dir / "sfenv" / "tracking-pulls.json"


def _pulls_since_verified(state_dir: Path, org_id: str) -> int | None:
    """Pulls of this org that trusted SourceMember since one listed everything (None: not
    counted yet, the meta's count is used)."""
    try:
        value = json.loads(_memory_path(state_dir).read_text()).get(org_id)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and value >= 0 else None


def _remember_pulls(state_dir: Path, org_id: str, count: int) -> None:
    """Counted when the listing is decided: a pull that fails afterwards still counts (a
    failed verifying pull resets the count; its exit code says it failed)."""
    path = _memory_path(state_dir)
    try:
        memory = json.loads(path.read_text())
        if not isinstance(memory, dict):
            memory = {}
    except (OSError, ValueError):
        memory = {}
    memory[org_id] = count
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(memory, indent=1, sort_keys=True))
    tmp.replace(path)


def _incremental(client: PullClient, since: int, registry: Registry, latest: Latest,
                 previous_meta: dict[str, Any] | None) -> tuple[Changes, int | None]:
    """(what changed since the recorded counter, or why everything is listed; the rows
    created up to `latest.second`, for the next pull). Rows are updated in place and never
    deleted, so the row the last pull ended at (`anchor`) never disappears and the rows
    created up to the last pull's second never become fewer, unless tracking was reset (the
    counter may since have grown past the recorded value, which alone would hide the rows
    between) or rows were lost, below the anchor too. Two queries, as many as the anchor
    check and the rows above the counter cost before the count: the count up to the last
    pull's second, and the rows above the counter with the anchor row in one query."""
    recorded = (previous_meta or {}).get(META_KEY) or {}
    anchor = recorded.get("anchor")
    if not (isinstance(anchor, str) and _RECORD_ID.match(anchor)):
        anchor = None
    rows, then = recorded.get("rows"), recorded.get("counted_to")
    before = rows if isinstance(rows, int) else None
    if not (isinstance(then, str) and _SECOND.match(then) and before is not None):
        then = None
    count = _row_count(client, then or latest.second)
    query = SINCE_AND_ANCHOR if anchor else SINCE
    read = client.query(query.format(revision=int(since), anchor=anchor or ""), tooling=True)
    above = [r for r in read if int(r.get("RevisionCounter") or 0) > since]
    lost = 0
    if then is not None and before is not None and count is not None:
        lost = before - count
        # carried to this pull's second: the rows created since the last pull's second are
        # new since that pull, so they are among the rows above its counter
        count += _created_between(above, then, latest.second)
    if anchor and not any(r.get("Id") == anchor for r in read):
        why = "the source-tracking row the last pull ended at is gone: tracking was reset"
        return Changes(len(above), None, why), count
    if lost > 0:
        why = (f"{_counted(lost, 'source-tracking row')} created before the last pull "
               f"{'is' if lost == 1 else 'are'} gone: rows are missing")
        return Changes(len(above), None, why), count
    return _changes(above, since, registry, latest.revision), count


def _created_between(rows: list[dict[str, Any]], then: str, second: str) -> int:
    """How many of `rows` were created after `then` and up to `second`."""
    start, end = _when(then), _when(second)
    if start is None or end is None:
        return 0
    return sum(1 for r in rows
               if (made := _when(r.get("CreatedDate"))) is not None and start < made <= end)


def _row_count(client: PullClient, second: str) -> int | None:
    """The SourceMember rows created up to `second` (`SELECT COUNT()`: the query's
    totalSize): 0 with no second (no row yet), None when the client cannot count."""
    if not second:
        return 0
    counter = getattr(client, "count", None)
    if not callable(counter) or not _SECOND.match(second):
        return None
    return int(counter(COUNT_TO.format(when=second), tooling=True))


def newly_verified(previous_meta: dict[str, Any] | None, recorded: dict[str, Any]) -> bool:
    """A backup's pull verified what the previous, unverified snapshot carried: worth a
    commit of its own even when the tree did not change, so the meta the backup tag rests on
    says verified (an ordinary pull leaves an unchanged tree's commit as it is)."""
    before = (previous_meta or {}).get(META_KEY) or {}
    return _VERIFY.get() and bool(recorded.get("verified")) and before.get("verified") is False
