"""Path status: for each hop A→B of the promotion path, what is pending, drift or conflict.

With a base (the pair of snapshots recorded at the last promotion A→B or by `sfenv sync-point`,
kept at `refs/sfenv/sync/<A>/<B>`), the comparison is three-way, like git's merge base: a
component that differs between A and B now is *pending* if only A changed it since the base,
*drift* if only B did (a change outside the path, or a hotfix), *conflict* if both did.
A difference that already existed at the base keeps the class recorded with the sync point
(a promotion syncs the train's components, not a hotfix it did not carry), shown "since
before" that sync point; one accepted by a human's `sfenv sync-point` is listed as accepted.
Without a base it is two-way: the side with the newer lastModifiedDate is taken to have
changed it; a component only B has is drift, unless A's audit trail records deleting it after
B last changed it. Every entry's `change` is what promoting A to B would do to B (old = B, new = A).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, Protocol

from sfenv.config.model import Config
from sfenv.core.compare.audit_match import label_of, label_used, rows_about
from sfenv.core.compare.diff import SnapshotReader, audit_rows, diff_commits
from sfenv.core.compare.filters import ComponentFilter
from sfenv.core.compare.inventory import Splitter
from sfenv.core.compare.model import Attribution, Change, HopStatus, PathClass, PathEntry
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.compare.origins import RecordReader, attributed, read_origins
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import StoreError

SYNC_PREFIX = "refs/sfenv/sync/"
SYNC_FILE = "sync.json"
MAX_AUDIT_ROWS = 5
CLASSES: tuple[PathClass, ...] = ("pending", "drift", "conflict")


class StatusReader(SnapshotReader, RecordReader, Protocol):
    """What status needs of a store (`sfenv.io.store.snapshots.SnapshotStore`)."""

    def head(self, env: str) -> str | None: ...


def sync_ref(a: str, b: str) -> str:
    return f"{SYNC_PREFIX}{a}/{b}"


def sync_point_record(store: StatusReader, a: str, b: str, a_commit: str, b_commit: str,
                      reason: str, *, by: str, when: str, accept: bool = False,
                      config: Config | None = None, registry: Registry | None = None,
                      split: Splitter | None = None,
                      released: Mapping[str, Mapping[str, str]] | None = None,
                      ) -> dict[str, Any]:
    """The record saying A at `a_commit` and B at `b_commit` are the base for hop A→B
    (`sfenv.services.records.sync_points` writes it on `sync_ref(a, b)`).

    A promotion only asserts that the train's components are in sync: the differences that
    remain between the two snapshots are stored with the class they have now (computed
    against the previous base, or two-way without one), so a hotfix stays drift. With
    `accept=True` (a human's sync point) they are stored as accepted instead. `config`, when
    given, neutralizes declared environment values.

    `released`: the components the promotion recording this point wrote in B, each with
    A's commit that held the train's content ({a_commit, when}). B's side of those is the
    release process, never B's own change: where A has moved on since (a hand change in qa
    after the train reached it), the difference is A's, pending, judged from that pair on.
    """
    doc: dict[str, Any] = {"source": a, "target": b, "a_commit": a_commit, "b_commit": b_commit,
                           "when": when, "by": by, "reason": reason,
                           "kind": "accepted" if accept else "promotion"}
    try:
        previous = sync_point(store, a, b)
    except StoreError:
        previous = None  # an unreadable record: classify two-way
    used, _ = effective_base(store, a, b, previous)
    previous = used if used and used.get("kind") != "first" else None
    registry = registry or default_registry()
    entries, accepted, _ = _classify_commits(store, config, a, b, a_commit, b_commit, used,
                                             registry, split)
    pairs = {cid: {"a_commit": str(at["a_commit"]), "b_commit": b_commit,
                   "when": str(at.get("when") or when)}
             for cid, at in (released or {}).items()}
    if pairs:
        entries, accepted = _as_released(store, a, b, a_commit, b_commit, entries + accepted,
                                         pairs, registry, split)
    acceptance = {"when": when, "by": by, "reason": reason} if accept else None
    doc["differences"] = {str(e.change.component): _record_of(e, when, acceptance)
                          for e in entries + accepted}
    # the per-component base: every component equal now has this record's pair as its base;
    # one that still differs keeps the pair both sides last agreed on (None: never agreed),
    # or, when this promotion wrote it in B, the pair that held the train's content
    doc["bases"] = {cid: pairs.get(cid) or component_base(previous, cid)
                    for cid in doc["differences"]}
    return doc


def _as_released(store: StatusReader, a: str, b: str, a_commit: str, b_commit: str,
                 found: list[PathEntry], pairs: dict[str, dict[str, str]], registry: Registry,
                 split: Splitter | None) -> tuple[list[PathEntry], list[PathEntry]]:
    """(entries, accepted) of `found` with every component the promotion wrote in B
    classified against the pair that held the train's content (`pairs`): B's side is the
    release process's, so only A's change since (pending) or B's later one counts."""
    status = HopStatus(a, b, None, [], False, a_commit, b_commit)
    origins = read_origins(store, a)
    entries: list[PathEntry] = []
    accepted: list[PathEntry] = []
    for entry in found:
        pair = pairs.get(str(entry.change.component))
        if pair is not None:
            entry = _against_own_base(store, status, a_commit, b_commit, entry.change, pair,
                                      registry, split, origins)
        (accepted if entry.accepted else entries).append(entry)
    return entries, accepted


def sync_point(store: StatusReader, a: str, b: str) -> dict[str, Any] | None:
    """The last recorded base of hop A→B ({a_commit, b_commit, when, by, reason, differences})
    or None. `differences` is absent from records made before classes were kept."""
    commit = store.ref_commit(sync_ref(a, b))
    if commit is None:
        return None
    data = store.read_file(commit, SYNC_FILE)
    try:
        doc = json.loads(data) if data else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not doc.get("a_commit") or not doc.get("b_commit"):
        raise StoreError(f"{sync_ref(a, b)} holds no readable {SYNC_FILE}")
    return doc


def component_base(record: dict[str, Any] | None, cid: str) -> dict[str, Any] | None:
    """The pair of commits ({a_commit, b_commit, when}) at which both sides of the hop last
    agreed on component `cid`, per the sync point `record`; None when they never did.

    A component a record lists as differing keeps its own older base (`bases`); every other
    component was equal at the record's own pair. Records made before bases were kept list
    differences without one: those never agreed as far as sfenv knows."""
    if not record:
        return None
    bases = record.get("bases")
    if isinstance(bases, dict) and cid in bases:
        own = bases[cid]
        return own if isinstance(own, dict) and own.get("a_commit") else None
    if not isinstance(bases, dict) and cid in (record.get("differences") or {}):
        return None
    return {"a_commit": record["a_commit"], "b_commit": record["b_commit"],
            "when": record.get("when")}


def origin(store: StatusReader, env: str) -> dict[str, Any] | None:
    """Where sfenv's knowledge of `env` begins: its latest refresh snapshot (an org id change
    accepted with `--new-org`) or else its first snapshot, as {commit, date, refreshed};
    None without a snapshot or a store that keeps no history."""
    log = getattr(store, "log", None)
    head = store.head(env)
    if log is None or head is None:
        return None
    key = ("origin", env, head)
    cache = getattr(store, "cache", None)
    if isinstance(cache, dict) and key in cache:
        cached: dict[str, Any] | None = cache[key]  # what this function stored there
        return cached
    entries = log(env, limit=100_000)  # newest first
    found = None
    for at, entry in enumerate(entries):
        refresh = entry.meta.get("refresh") if isinstance(entry.meta, dict) else None
        if isinstance(refresh, dict):
            found = {"commit": entry.commit, "date": str(refresh.get("at") or entry.date),
                     "refreshed": True, "since": {e.commit for e in entries[:at + 1]}}
            break
    if found is None and entries:
        found = {"commit": entries[-1].commit, "date": entries[-1].date, "refreshed": False}
    if isinstance(cache, dict):
        cache[key] = found
    return found


def effective_base(store: StatusReader, a: str, b: str,
                   base: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str]:
    """(the base to classify hop A→B against, a note for status).

    A sync point older than a refresh of either end no longer describes the org: it is
    dropped ("re-baselined after the refresh of DATE"). Without a usable sync point, the
    first snapshots of both ends (or their refresh snapshots) are the base, so a component
    both sides changed since sfenv first saw them is a conflict, not a guess by dates."""
    first_a, first_b = origin(store, a), origin(store, b)
    note = ""
    # B as of A's refresh (read once: the first base and the refresh rule both need it)
    b_at_refresh = (_as_of(store, b, first_a["date"]) if first_a and first_b and
                    first_a["refreshed"] and not first_b["refreshed"] else None)
    before = _target_before_refresh(store, a, b, base, first_a, first_b, b_at_refresh)
    if base:  # stale when its commit of a refreshed end is older than the refresh
        stale = [(env, o) for env, o, side in ((a, first_a, "a_commit"), (b, first_b, "b_commit"))
                 if o and o["refreshed"] and base.get(side) not in o["since"]]
        if not stale:
            return ({**base, **before} if before else base), ""
        note = "re-baselined after the refresh of " + ", ".join(
            f"{env} on {o['date'][:10]}" for env, o in stale)
    if first_a is None or first_b is None:
        return None, note
    # a refreshed end is a copy of another org as of its refresh: the other end is taken as
    # it was then (its snapshot at that time), not as sfenv first saw it
    if first_a["refreshed"] and not first_b["refreshed"]:
        first_b = b_at_refresh or first_b
    elif first_b["refreshed"] and not first_a["refreshed"]:
        first_a = _as_of(store, a, first_b["date"]) or first_a
    base = {"a_commit": first_a["commit"], "b_commit": first_b["commit"], "kind": "first",
            "when": max(first_a["date"], first_b["date"])[:19]}
    if first_b["refreshed"]:  # its dates up to the refresh are the copy's, not its own changes
        base["target_refreshed"] = first_b["date"]
    base.update(before)
    return base, note


def _target_before_refresh(store: StatusReader, a: str, b: str, base: dict[str, Any] | None,
                           first_a: dict[str, Any] | None, first_b: dict[str, Any] | None,
                           at_refresh: dict[str, Any] | None) -> dict[str, str]:
    """When the source `a` was refreshed and the target `b` was not: {target_before: b's
    commit the hop last agreed on before the refresh (the last sync point older than it, else
    b's first snapshot), target_at_refresh: b as of the refresh (`at_refresh`)}. The refresh
    copied the target's own changes not yet promoted into the source (a prod hotfix into
    uat): they stay the target's, however many sync points later, until the target changes
    them again; `_three_way` calls them a conflict once the source changes them. {}
    otherwise."""
    if not (first_a and first_b and first_a["refreshed"] and not first_b["refreshed"]):
        return {}
    if at_refresh is None:
        return {}
    agreed = _agreed_before_refresh(store, a, b, first_a) if base else None
    agreed = agreed or first_b["commit"]
    if agreed == at_refresh["commit"]:
        return {}
    return {"target_before": agreed, "target_at_refresh": at_refresh["commit"]}


def _agreed_before_refresh(store: StatusReader, a: str, b: str,
                           first_a: dict[str, Any]) -> str | None:
    """B's commit at the hop's last sync point recorded before A's refresh, or None. Walks
    the sync ref's records once per store for each head of the ref and refresh (status,
    the plan and the guard each ask it for the same hop in one run)."""
    history = getattr(store, "ref_history", None)
    if history is None:
        return None
    head = store.ref_commit(sync_ref(a, b))
    key = ("agreed-before-refresh", a, b, head, first_a["commit"])
    cache = getattr(store, "cache", None)
    if isinstance(cache, dict) and key in cache:
        cached: str | None = cache[key]  # what this function stored there
        return cached
    found = None
    for commit in history(sync_ref(a, b)) if head else ():
        data = store.read_file(commit, SYNC_FILE)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
        if isinstance(doc, dict) and doc.get("a_commit") not in first_a["since"]:
            found = str(doc.get("b_commit") or "") or None
            break
    if isinstance(cache, dict):
        cache[key] = found
    return found


def _as_of(store: StatusReader, env: str, when: str) -> dict[str, Any] | None:
    """`env`'s latest snapshot taken at or before `when` (ISO UTC), as `origin` gives it."""
    log = getattr(store, "log", None)
    if log is None:
        return None
    for entry in log(env, limit=100_000):  # newest first
        if utc_key(entry.date) <= utc_key(when):
            return {"commit": entry.commit, "date": entry.date, "refreshed": False}
    return None


def utc_key(text: str) -> str:
    """An ISO-8601 instant as a sortable UTC string (commit dates carry their offset)."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)[:19]
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def path_status(store: StatusReader, config: Config, hop: tuple[str, str], *,
                registry: Registry | None = None, split: Splitter | None = None,
                filters: ComponentFilter | None = None) -> HopStatus:
    """Status of one hop (source, target) of the promotion path."""
    registry = registry or default_registry()
    a, b = hop
    env_b = config.environments.get(b)
    prod = bool(getattr(env_b, "production", False))
    head_a, head_b = store.head(a), store.head(b)
    status = HopStatus(a, b, None, [], prod, head_a, head_b)
    if head_a is None or head_b is None:
        missing = [env for env, head in ((a, head_a), (b, head_b)) if head is None]
        status.mode = "no-snapshot"
        status.note = "no snapshot of " + " and ".join(missing) + " yet: run " + \
            ", ".join(f"`sfenv pull {m}`" for m in missing)
        return status
    base = sync_point(store, a, b)
    used, status.note = effective_base(store, a, b, base)
    base = used if used and used.get("kind") != "first" else None
    if used and not base and not status.note:
        status.note = f"no sync point: the base is sfenv's first snapshots of both ({used['when']})"
    entries, accepted, known = _classify_commits(store, config, a, b, head_a, head_b, used,
                                                 registry, split, filters or ComponentFilter())
    status.entries, status.accepted, status.known_differences = entries, accepted, known
    if base:
        status.base = (base["a_commit"], base["b_commit"])
        status.base_info = {k: base.get(k) for k in ("when", "by", "reason", "kind")}
        status.mode = "three-way"
    if prod:
        for entry in status.entries:
            if entry.status in ("drift", "conflict"):
                entry.outside_release = True
                who = _who_by(_sides(entry)[1])
                entry.reason = f"change outside the release process in {b}{who}; " + entry.reason
    return status


def classify_hop(store: StatusReader, config: Config | None, a: str, b: str, a_commit: str,
                 b_commit: str, *, registry: Registry | None = None) -> list[PathEntry]:
    """The classified differences between A at `a_commit` and B at `b_commit` against the
    hop's recorded bases (what `release plan` shows as target changes it would overwrite)."""
    try:
        base = sync_point(store, a, b)
    except StoreError:
        base = None
    base, _ = effective_base(store, a, b, base)
    entries, accepted, _ = _classify_commits(store, config, a, b, a_commit, b_commit, base,
                                             registry or default_registry(), None)
    return entries + accepted


NO_DATES = "differs; no dates to tell which side changed it"
# said once per hop under such rows: most are values that differ per org by design
NO_DATES_HINT = ("{n} differ with no dates to tell which side changed them: if they are "
                 "values that differ per environment by design (endpoints, emails, sandbox "
                 "usernames), declare them under `values:` of each environment in sfenv.yml "
                 "and sfenv neutralises them")


def no_dates_hint(status: HopStatus) -> str | None:
    """The hint for a hop with rows nobody can date, or None."""
    n = sum(1 for e in status.entries if e.reason == NO_DATES)
    return NO_DATES_HINT.format(n=f"{n} row" if n == 1 else f"{n} rows") if n else None


def all_status(store: StatusReader, config: Config, *, registry: Registry | None = None,
               split: Splitter | None = None,
               filters: ComponentFilter | None = None) -> list[HopStatus]:
    """Status of every hop of the promotion path, in path order."""
    return [path_status(store, config, hop, registry=registry, split=split, filters=filters)
            for hop in config.hops()]


def _classify_commits(store: StatusReader, config: Config | None, a: str, b: str,
                      a_commit: str, b_commit: str,
                      base: dict[str, Any] | None, registry: Registry, split: Splitter | None,
                      filters: ComponentFilter | None = None,
                      ) -> tuple[list[PathEntry], list[PathEntry], int]:
    """(entries, accepted, known_differences) of the differences between A and B at these
    commits, against `base` (three-way) or by dates (two-way). Shared by status and by the
    recording of a sync point, so a recorded class is the class status showed."""
    envs = config.environments if config is not None else {}
    now = diff_commits(store, b_commit, a_commit, registry=registry,
                       neutralize=Neutralizer.for_envs(envs.get(b), envs.get(a)), a_name=b,
                       b_name=a, split=split)
    changes = filters.apply(now.changes) if filters else now.changes
    origins = read_origins(store, a)  # who made what a promotion brought into A
    changes = [attributed(c, origins) for c in changes]
    rolled = rolled_back_as_left(store, b, changes, b_commit, registry, split)
    work = HopStatus(a, b, None, [], False, a_commit, b_commit)
    if base:
        _three_way(store, work, a_commit, b_commit, changes, registry, split, base, rolled)
    else:
        _two_way(store, work, a_commit, b_commit, changes, origins, rolled=rolled)
    return work.entries, work.accepted, work.known_differences


def rolled_back_as_left(store: StatusReader, target: str, changes: list[Change], b1: str,
                        registry: Registry, split: Splitter | None = None,
                        ) -> dict[str, dict[str, Any]]:
    """The differing components the target (at `b1`) still holds as a rollback left them
    (`changes`: the hop's differences), with the rollback's origin record: a rollback is the
    release process (issue 22), so what it restored or deleted is not the target's own change,
    unless the rolled-back promotion had overwritten it by name (`own`: a hand change of the
    target's, restored). Read by content, per component (a child, a permission entry): a
    later edit of the same object file by hand does not hide it, an edit of the component
    itself ends it. One diff per rollback snapshot still referenced."""
    origins = read_origins(store, target)
    wanted: dict[str, dict[str, Any]] = {}
    for change in changes:
        rec = origins.get(str(change.component))
        if rec and isinstance(rec.get("rolled_back"), str):
            wanted[str(change.component)] = rec
    moved: dict[str, set[str] | None] = {}
    for commit in {rec["rolled_back"] for rec in wanted.values()}:
        try:
            moved[commit] = {str(c.component) for c in diff_commits(
                store, commit, b1, registry=registry, split=split).changes}
        except StoreError:  # the rollback's snapshot is gone: nothing to vouch for
            moved[commit] = None
    out = {}
    for cid, rec in wanted.items():
        since = moved[rec["rolled_back"]]
        if since is not None and cid not in since:
            out[cid] = rec
    return out


def _rolled_reason(status: HopStatus, rec: dict[str, Any]) -> str:
    when = str(rec.get("rolled_back_at") or "")
    return (f"as the rollback of release {rec.get('train') or '?'} in {status.target}"
            f"{' on ' + when if when else ''} left it: the release process, not a change of "
            f"{status.target}'s own")


def _three_way(store: StatusReader, status: HopStatus, a1: str, b1: str, changes: list[Change],
               registry: Registry, split: Splitter | None, base: dict[str, Any],
               rolled: dict[str, dict[str, Any]] | None = None) -> None:
    """Classify `changes` against `base`; `a1`, `b1`: the commits compared (the status's).
    `rolled`: the components the target holds as a rollback left them
    (`rolled_back_as_left`): its change since the base is the release process's."""
    rolled = rolled or {}
    a0, b0 = base["a_commit"], base["b_commit"]
    origins = read_origins(store, status.source)
    src = {c.component: attributed(c, origins)
           for c in diff_commits(store, a0, a1, registry=registry, split=split).changes}
    # the target's side through its own origins too: content a rollback restored keeps its
    # author there, not the deploy user's name the org now gives it
    target_origins = read_origins(store, status.target)
    tgt = {c.component: attributed(c, target_origins)
           for c in diff_commits(store, b0, b1, registry=registry, split=split).changes}
    by_rollback: set[str] = set()  # changed in the target since the base by a rollback only
    for cid in list(tgt):
        rec = rolled.get(str(cid))
        if rec is None:
            continue
        if rec.get("own"):  # a hand change the rollback brought back: its author's again
            tgt[cid] = dataclasses.replace(tgt[cid], new_by=Attribution(
                rec.get("by") or None, rec.get("date") or None))
        else:
            del tgt[cid]
            by_rollback.add(str(cid))
    when = str(base.get("when") or "?")
    since = (f"since sfenv's first snapshots of both ({when})" if base.get("kind") == "first"
             else f"since the sync point of {when}")
    unpromoted = _unpromoted_before_refresh(store, base, b1, target_origins, registry, split)
    recorded = base.get("differences")
    recorded = recorded if isinstance(recorded, dict) else {}
    unclassified: list[Change] = []
    audits: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        cid = change.component
        in_src, in_tgt = cid in src, cid in tgt
        rec = recorded.get(str(cid))
        if not isinstance(rec, dict) or rec.get("status") not in CLASSES:
            rec = None
        if not in_src and str(cid) in by_rollback:  # a rollback's, after the base
            status.entries.append(PathEntry("pending", change,
                                            reason=_rolled_reason(status, rolled[str(cid)])))
            continue
        if not in_src and not in_tgt:  # differed already at the base: keep its class there
            status.known_differences += base.get("kind") != "first"
            if rec is None:
                unclassified.append(change)
                continue
            entry = _carried(status, change, rec, when)
            side = b1 if entry.status == "drift" else a1
            if side not in audits:
                audits[side] = audit_rows(store, side)
            entry.audit = _audit_of(audits[side], change)
            (status.accepted if entry.accepted else status.entries).append(entry)
            continue
        own = component_base(base, str(cid))
        if own is not None and (own["a_commit"], own["b_commit"]) != (a0, b0):
            # it differed already at the last sync point: classify against the pair both
            # sides last agreed on, so a hotfix stays drift and an upstream edit of it conflicts
            status.entries.append(_against_own_base(store, status, a1, b1, change, own, registry,
                                                    split, origins, rolled.get(str(cid))))
            continue
        gone: Attribution | None = None
        kind: PathClass
        if in_src and in_tgt:
            kind, reason = "conflict", _conflict_reason(status, src[cid], tgt[cid], since)
        elif in_src and src[cid].kind == "removed":
            if a1 not in audits:
                audits[a1] = audit_rows(store, a1)
            gone = deleted_by(src[cid], origins, audits[a1])
            kind, reason = "pending", (f"deleted in {status.source}{_who_by(gone)} {since}" if gone
                                       else f"deleted in {status.source} {since}")
        elif in_src:
            kind, reason = "pending", f"changed in {status.source}{_who_by(src[cid].new_by)} {since}"
        else:
            kind, reason = "drift", f"changed in {status.target}{_who_by(tgt[cid].new_by)} {since}"
        if kind == "pending" and cid in unpromoted:
            # the target changed it before the source's refresh copied it there, and no
            # promotion brought it back up the path: overwriting it loses the target's change
            kind, reason = "conflict", (
                f"{reason}; and changed in {status.target}{_who_by(unpromoted[cid].new_by)} "
                f"before {status.source}'s refresh copied it, never promoted from "
                f"{status.source}")
        if rec and not rec.get("accepted") and rec["status"] != kind:
            # one side changed it since the base while the other side's older change was never
            # reconciled (a hotfix not upstream, or both sides' changes of a recorded
            # conflict): promoting would overwrite one of them
            earlier = _carried(status, change, rec, when)
            kind, reason = "conflict", f"{reason}; and {rec['status']} before: {earlier.reason}"
        entry = PathEntry(kind, change, src.get(cid), tgt.get(cid) or unpromoted.get(cid),
                          reason)
        if gone is not None and kind == "pending":
            entry.source_by = gone
        status.entries.append(entry)
    if unclassified:  # a record without classes (older sfenv): attribute by dates, never drop
        carried = HopStatus(status.source, status.target, None, [], False, a1, b1)
        _two_way(store, carried, a1, b1, unclassified, origins,
                 target_refreshed=str(base.get("target_refreshed") or "") or None,
                 rolled=rolled)
        for entry in carried.entries if base.get("kind") != "first" else ():
            entry.since_before = when
            entry.reason = "no class recorded at the sync point; " + entry.reason
        status.entries += carried.entries


def _unpromoted_before_refresh(store: StatusReader, base: dict[str, Any], b1: str,
                               target_origins: dict[str, dict[str, Any]], registry: Registry,
                               split: Splitter | None) -> dict[ComponentId, Change]:
    """The target's changes made before its source's refresh copied them (see
    `_target_before_refresh`) and unchanged in the target since: still the target's own."""
    before, at_refresh = base.get("target_before"), base.get("target_at_refresh")
    if not isinstance(before, str) or not isinstance(at_refresh, str) or before == at_refresh:
        return {}
    own = {c.component: attributed(c, target_origins)
           for c in diff_commits(store, before, at_refresh, registry=registry,
                                 split=split).changes}
    if own and at_refresh != b1:
        for change in diff_commits(store, at_refresh, b1, registry=registry,
                                   split=split).changes:
            own.pop(change.component, None)
    return own


def _against_own_base(store: StatusReader, status: HopStatus, a1: str, b1: str, change: Change,
                      own: dict[str, Any], registry: Registry, split: Splitter | None,
                      origins: dict[str, dict[str, Any]],
                      rolled: dict[str, Any] | None = None) -> PathEntry:
    """Three-way classification of one component (between `a1` and `b1`) against its own
    base pair. `rolled`: its rollback record when the target holds it as a rollback left
    it."""
    cid = change.component
    src = {c.component: attributed(c, origins)
           for c in diff_commits(store, own["a_commit"], a1, registry=registry,
                                 split=split).changes}
    tgt = {c.component: c for c in diff_commits(store, own["b_commit"], b1,
                                                registry=registry, split=split).changes}
    since = f"since the sync point of {own.get('when') or '?'}"
    s, t = src.get(cid), tgt.get(cid)
    if t is not None and rolled is not None:
        t = (dataclasses.replace(t, new_by=Attribution(rolled.get("by") or None,
                                                       rolled.get("date") or None))
             if rolled.get("own") else None)
    gone: Attribution | None = None
    kind: PathClass
    if s is not None and t is not None:
        kind, reason = "conflict", _conflict_reason(status, s, t, since)
    elif t is not None:
        kind, reason = "drift", f"changed in {status.target}{_who_by(t.new_by)} {since}"
    elif s is not None and s.kind == "removed":
        gone = deleted_by(s, origins, audit_rows(store, a1))
        kind, reason = "pending", f"deleted in {status.source}{_who_by(gone or Attribution())} {since}"
    elif s is not None:
        kind, reason = "pending", f"changed in {status.source}{_who_by(change.new_by)} {since}"
    else:  # equal to the base on both sides once read apart, yet differing: say so, as pending
        kind, reason = "pending", f"differs, though neither side changed it {since}"
    entry = PathEntry(kind, change, s, t, reason)
    entry.source_by = s.new_by if s is not None else None
    if gone is not None:  # who deleted it, not the empty side of a deletion
        entry.source_by = gone
    entry.target_by = t.new_by if t is not None else None
    return entry


def _conflict_reason(status: HopStatus, src: Change, tgt: Change, since: str) -> str:
    """Both authors and both element changes: what each side did since the base."""
    def side(env: str, c: Change) -> str:
        what = ", ".join(str(e) for e in c.elements[:3]) or c.kind
        return f"{env}{_who_by(c.new_by)} ({what})"
    return (f"changed in both {side(status.source, src)} and {side(status.target, tgt)} "
            f"{since}")


def _carried(status: HopStatus, change: Change, rec: dict[str, Any], when: str) -> PathEntry:
    """A difference unchanged on both sides since the base, with the class recorded there."""
    src_by, tgt_by = _attribution(rec.get("source")), _attribution(rec.get("target"))
    kind = _class_of(rec["status"])
    since = str(rec.get("since") or when)
    a, b = status.source, status.target
    text = {"pending": f"changed in {a}{_who_by(src_by)}",
            "drift": f"changed in {b}{_who_by(tgt_by)}",
            "conflict": f"changed in both {a}{_who_by(src_by)} and {b}{_who_by(tgt_by)}"}[kind]
    entry = PathEntry(kind, change, reason=text,
                      since_before=since, source_by=src_by, target_by=tgt_by)
    accepted = rec.get("accepted")
    if isinstance(accepted, dict):
        entry.accepted = {k: accepted.get(k) for k in ("when", "by", "reason")}
        entry.reason += (f"; accepted by {accepted.get('by') or '?'} on {accepted.get('when')}"
                         + (f" ({accepted['reason']})" if accepted.get("reason") else ""))
    return entry


def _class_of(value: object) -> PathClass:
    """A class read from a record (its callers checked it is one of CLASSES): KeyError else."""
    for known in CLASSES:
        if value == known:
            return known
    raise KeyError(value)


def _record_of(entry: PathEntry, when: str, acceptance: dict[str, Any] | None) -> dict[str, Any]:
    """How a remaining difference is stored in a sync point record."""
    src, tgt = _sides(entry)
    rec: dict[str, Any] = {
        "status": entry.status, "reason": entry.reason,
        "source": {"by": src.last_modified_by, "date": src.last_modified_date},
        "target": {"by": tgt.last_modified_by, "date": tgt.last_modified_date},
        "since": entry.since_before or when,
    }
    accepted = entry.accepted or acceptance
    if accepted:
        rec["accepted"] = accepted
    return rec


def _sides(entry: PathEntry) -> tuple[Attribution, Attribution]:
    """Who last changed the component in the source and in the target."""
    return (entry.source_by or entry.change.new_by, entry.target_by or entry.change.old_by)


def _attribution(side: object) -> Attribution:
    side = side if isinstance(side, dict) else {}
    return Attribution(side.get("by") or None, side.get("date") or None)


def _two_way(store: StatusReader, status: HopStatus, a1: str, b1: str, changes: list[Change],
             origins: dict[str, dict[str, Any]] | None = None, *,
             target_refreshed: str | None = None,
             rolled: dict[str, dict[str, Any]] | None = None) -> None:
    """No base: attribute each difference (between `a1` and `b1`) to the side that changed it
    last. A target
    refreshed at `target_refreshed` is a copy as of then: a date of its up to the refresh
    is the copy's (a refresh stamps what it copies), not a change of its own, so such a
    difference is the source's to promote. A target holding a component as a rollback left
    it (`rolled`) did not change it: the rollback's date is the release process's; restored
    content that was the target's own keeps its author's date."""
    quiet_until = utc_key(target_refreshed) if target_refreshed else None
    rolled = rolled or {}
    audit_a = audit_rows(store, a1) if changes else []
    audit_b = audit_rows(store, b1) if changes else []
    for change in changes:
        rec = rolled.get(str(change.component))
        if rec is not None and rec.get("own"):
            change = dataclasses.replace(change, old_by=Attribution(rec.get("by") or None,
                                                                    rec.get("date") or None))
        a_date, b_date = change.new_by.last_modified_date, change.old_by.last_modified_date
        gone: Attribution | None = None
        kind: PathClass
        if change.kind == "added":
            kind, reason = "pending", f"exists only in {status.source}{_who(change, target=False)}"
        elif change.kind == "removed":
            gone = deleted_by(change, origins or {}, audit_a)
            if gone:  # the source deleted it after B last touched it (its audit trail says so,
                # or the promotion that brought the deletion recorded who made it upstream)
                kind, reason = "pending", f"deleted in {status.source}{_who_by(gone)}"
            else:
                kind, reason = "drift", f"exists only in {status.target}{_who(change, target=True)}"
        elif quiet_until and b_date and utc_key(b_date) <= quiet_until:
            kind, reason = "pending", (f"last changed in {status.source}"
                                       f"{_who(change, target=False)}; {status.target} has "
                                       f"not changed it since its refresh on {quiet_until[:10]}")
        elif a_date and b_date and a_date != b_date:
            newer_a = a_date > b_date  # ISO 8601 UTC strings order by time
            kind = "pending" if newer_a else "drift"
            reason = (f"last changed in {status.source if newer_a else status.target}"
                      f"{_who(change, target=not newer_a)}")
        else:
            kind, reason = "pending", NO_DATES
        if kind == "drift" and rec is not None and not rec.get("own"):
            kind, reason = "pending", _rolled_reason(status, rec)  # the rollback's, not B's
        entry = PathEntry(kind, change, reason=reason)
        if change.kind == "removed" and kind == "pending":
            entry.source_by = gone  # who deleted it, for the report's "changed by" cell
        rows = audit_b if kind == "drift" else audit_a
        entry.audit = _audit_of(rows, change)
        status.entries.append(entry)


def deleted_by(change: Change, origins: dict[str, dict[str, Any]],
               rows: list[dict[str, Any]]) -> Attribution | None:
    """Who deleted the component of a removal `change` (old = the target's copy) in the
    source: the person a promotion recorded as having deleted it upstream (`origins` of the
    source, entries with `deleted`), else the newest deletion row of the source's audit trail
    (`rows`) later than the target's own date. None when neither says: a deletion is never
    credited to the last modifier of the deleted file."""
    rec = origins.get(str(change.component))
    if rec is None and change.parent is not None:
        rec = origins.get(str(change.parent))
    if rec and rec.get("deleted") and rec.get("by"):
        return Attribution(rec.get("by"), rec.get("date") or None)
    row = _deleted_in(rows, change)
    if row is None:
        return None
    return Attribution(row.get("CreatedByName") or None, row.get("CreatedDate") or None)


def _deleted_in(rows: list[dict[str, Any]], change: Change) -> dict[str, Any] | None:
    """The newest deletion row of the source's audit trail naming this component, when it is
    later than the target's own lastModifiedDate (else the target may have added it since)."""
    since = (change.old_by.last_modified_date or "")[:19]
    for row in _audit_of(rows, change):
        action = f"{row.get('Action') or ''} {row.get('Display') or ''}".lower()
        if "delet" in action and str(row.get("CreatedDate") or "")[:19] > since:
            return row
    return None


def _who(change: Change, *, target: bool) -> str:
    """" by NAME on DATE" for the target side (old_by) or the source side (new_by)."""
    return _who_by(change.old_by if target else change.new_by)


def _who_by(by: Attribution) -> str:
    text = ""
    if by.last_modified_by:
        text += f" by {by.last_modified_by}"
    if by.last_modified_date:
        text += f" on {by.last_modified_date}"
    return text


def _audit_of(rows: list[dict[str, Any]], change: Change) -> list[dict[str, Any]]:
    """The audit rows about this very component (section + its own label or API name)."""
    if not rows:
        return []
    label = (label_of(change.new_xml or change.old_xml) if label_used(rows, change.component)
             else None)  # parsing every item's XML for a label no row can use was 36 s at 60k
    return rows_about(rows, change.component, label, MAX_AUDIT_ROWS)
