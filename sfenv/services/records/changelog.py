"""The production change record: every change that reached an environment, in order.

`changelog(config, store, env)` gathers, from the releases ref and the environment's snapshot
history (nothing is asked of the org):
- each promotion of a train (a hotfix when it skipped a stage) and each rollback: the train's
  components with who changed them upstream, validation and deploy ids, the backup, the
  verification, the checklist as frozen with its ticks, the overwrites the guard let through;
  attempts that changed nothing (refused, failed, cancelled) are listed as such;
- each drift: components that changed in the environment outside any promotion, at the
  snapshot that first saw them, with who and when Salesforce says;
- each refresh (an org id change accepted with `--new-org`).

Rendering (markdown, JSON, the report's section) is `sfenv.views.changelog`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sfenv.core.compare.audit_match import granted
from sfenv.core.compare.counts import counted
from sfenv.core.compare.diff import audit_rows, component_index, diff_commits
from sfenv.core.compare.model import Attribution, Change
from sfenv.core.compare.origins import attributed, read_origins
from sfenv.core.compare.status import deleted_by
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import SfenvError
from sfenv.services.records.checklist_state import current_done, frozen_checklist
from sfenv.services.train.model import BuiltTrain
from sfenv.services.train.train import list_trains, load_train, releases_head, train_folder

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore


MAX_SNAPSHOTS = 1000  # history walked for drift and refreshes
CHANGES_KIND = {"add": "added", "modify": "changed", "delete": "deleted"}
RESULT_TITLE = {"deployed": "deployed", "rolled_back": "rolled back", "refused": "refused",
                "validation_failed": "validation failed", "deploy_failed": "deploy failed",
                "rollback_failed": "rollback failed", "cancelled": "cancelled",
                "validated": "validated only"}


@dataclass
class ComponentLine:
    component: str
    kind: str  # added | changed | deleted | manual (kept out of the package: a checklist step)
    by: str | None = None  # who last changed it where it came from
    date: str | None = None


@dataclass
class StepLine:
    id: str
    phase: str
    title: str
    done: bool
    by: str = ""
    at: str = ""


@dataclass
class Event:
    """One entry of the record. `kind`: promotion | hotfix | rollback | attempt | drift |
    refresh | first snapshot."""

    kind: str
    when: str
    who: str
    title: str
    train: str = ""
    result: str = ""
    components: list[ComponentLine] = field(default_factory=list)
    validation_id: str = ""
    deploy_ids: list[str] = field(default_factory=list)
    backup_tag: str = ""
    backup_commit: str = ""
    verification: str = ""
    verified: bool | None = None
    checklist: list[StepLine] = field(default_factory=list)
    checklist_basis: str = ""  # "frozen" | "ticks only" | ""
    overwrites: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    commit: str = ""


@dataclass
class Changelog:
    env: str
    production: bool
    events: list[Event]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def utc(value: Any) -> str:
    """ISO times as `YYYY-MM-DDTHH:MM:SSZ` (snapshots write +00:00, the release log Z), so the
    record reads and sorts as one timeline; anything unparsable unchanged."""
    text = str(value or "")
    try:
        return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return text


# -- trains -----------------------------------------------------------------------------------

def _props(index: Mapping[str, dict], component: str, registry: Registry) -> dict:
    """The index entry of a component, else of the component whose file holds it (a
    permission set's field permission is changed by whoever last changed the set)."""
    if component in index:
        return index[component]
    owner = _owner(component, registry)
    return (index.get(owner) or {}) if owner else {}


def _owner(component: str, registry: Registry) -> str | None:
    """The component whose file holds this child or permission entry, else None."""
    try:
        cid = ComponentId.parse(component)
    except ValueError:
        return None
    if registry.child(cid.type) is not None:
        return str(registry.parent_id(cid))
    # permission entry rows (`PermissionSetFieldPermission:Set/Field`, see compare.inventory)
    owners = [t for t in registry.section_types() if cid.type.startswith(t) and "/" in cid.full_name]
    if owners:
        return f"{max(owners, key=len)}:{cid.full_name.split('/', 1)[0]}"
    return None


def train_components(store: SnapshotStore, built: BuiltTrain,
                     registry: Registry) -> list[ComponentLine]:
    """What the train carries (changes.json: children included), with who last changed each
    in the source snapshot it was built from."""
    head = releases_head(store)
    raw = store.read_file(head, train_folder(built.name) + "changes.json") if head else None
    try:
        changes = json.loads(raw) if raw else {}
    except ValueError:
        changes = {}
    lines: list[tuple[str, str]] = []
    for key, kind in CHANGES_KIND.items():
        for type_name, names in sorted((changes.get(key) or {}).items()):
            lines += [(f"{type_name}:{n}", kind) for n in names]
    if not lines:
        lines = [(c, "changed") for c in built.components] + [(c, "deleted") for c in built.deletes]
    listed = {c for c, _ in lines}
    lines += [(c, "manual") for c in built.manual if c not in listed]
    try:
        index = component_index(store, built.source_commit) if built.source_commit else {}
        origins = read_origins(store, built.source)
        deleting = any(kind == "deleted" for _c, kind in lines)
        audit = audit_rows(store, built.source_commit) if deleting and built.source_commit else []
        target = component_index(store, built.target_commit) if deleting else {}
    except SfenvError:
        index, origins, audit, target = {}, {}, [], {}
    out = []
    for component, kind in lines:
        by = _upstream(component, kind, index, target, origins, audit, registry)
        out.append(ComponentLine(component, kind, by.last_modified_by, by.last_modified_date))
    return out


def _upstream(component: str, kind: str, index: Mapping[str, dict], target: Mapping[str, dict],
              origins: dict[str, dict], audit: list[dict], registry: Registry) -> Attribution:
    """Who made the change upstream, as the train's plan and `sfenv status` say: the origins
    record of the source for what a promotion brought there, who deleted it for a deletion
    (never the deleted file's last modifier), else the source snapshot's index."""
    try:
        cid = ComponentId.parse(component)
    except ValueError:
        return Attribution()
    if kind == "deleted":
        old = _props(target, component, registry)
        change = Change(cid, "removed", old_by=Attribution(old.get("lastModifiedByName"),
                                                           old.get("lastModifiedDate")))
        return deleted_by(change, origins, audit) or Attribution()
    props = _props(index, component, registry)
    owner = _owner(component, registry)
    change = Change(cid, "modified", parent=ComponentId.parse(owner) if owner else None,
                    new_by=Attribution(props.get("lastModifiedByName"),
                                       props.get("lastModifiedDate")))
    return attributed(change, origins).new_by


def _raw_log(store: SnapshotStore, train: str) -> list[dict[str, Any]]:
    """The log as written (fields of newer sfenv versions kept: overwrites, conflicts...)."""
    head = releases_head(store)
    data = store.read_file(head, train_folder(train) + "log.json") if head else None
    try:
        entries = json.loads(data) if data else []
    except ValueError:
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _checklist(config: Config, store: SnapshotStore, train: str,
               env: str) -> tuple[list[StepLine], str]:
    frozen = frozen_checklist(store, train, env)
    if frozen is not None:
        return [StepLine(s.id, s.phase, s.title, s.id in frozen.done,
                         frozen.done.get(s.id, {}).get("by", ""),
                         frozen.done.get(s.id, {}).get("at", "")) for s in frozen.steps], "frozen"
    done = current_done(config, store, train, env)
    return [StepLine(sid, "", sid, True, m.get("by", ""), m.get("at", ""))
            for sid, m in sorted(done.items())], "ticks only" if done else ""


def _conflict_line(raw: Any) -> str:
    if not isinstance(raw, dict):
        return str(raw)
    who = raw.get("changed_by") or "unknown"
    when = f" on {raw['changed_on']}" if raw.get("changed_on") else ""
    elements = raw.get("elements") or []
    what = f": {', '.join(map(str, elements[:3]))}" if elements else ""
    return f"{raw.get('component', '?')} (changed in the target by {who}{when}{what})"


def _verification(raw: Any) -> tuple[str, bool | None]:
    if not isinstance(raw, dict) or "ok" not in raw:
        return "", None
    if raw.get("ok"):
        return (f"holds the train as built ({counted(int(raw.get('checked') or 0), 'package member')}"
                " checked)"), True
    mismatches = raw.get("mismatches") or []
    first = ", ".join(str(m.get("component", m)) if isinstance(m, dict) else str(m)
                      for m in mismatches[:3])
    return f"{len(mismatches)} mismatches: {first}", False


def train_events(config: Config, store: SnapshotStore, env: str, train: str,
                 built: BuiltTrain | None, registry: Registry) -> list[Event]:
    components = train_components(store, built, registry) if built else []
    steps, basis = _checklist(config, store, train, env)
    events = []
    for raw in _raw_log(store, train):
        if raw.get("env") != env or raw.get("result") in ("", None):
            continue
        result = str(raw.get("result"))
        action = str(raw.get("action") or "promote")
        if action == "rollback":
            kind = "rollback" if result == "rolled_back" else "attempt"
        elif result == "deployed":
            kind = "hotfix" if raw.get("hotfix") else "promotion"
        else:
            kind = "attempt"
        verification, ok = _verification(raw.get("verification"))
        noun = "rollback of release" if action == "rollback" else "release"
        event = Event(
            kind=kind, when=utc(raw.get("finished") or raw.get("started")),
            who=str(raw.get("user") or ""), train=train, result=result,
            title=f"{noun} {train} {RESULT_TITLE.get(result, result)}"
                  + (" (hotfix)" if kind == "hotfix" else ""),
            validation_id=str(raw.get("validation_id") or ""),
            deploy_ids=[str(d) for d in raw.get("deploy_ids") or []],
            backup_tag=str(raw.get("backup_tag") or ""),
            backup_commit=str(raw.get("backup_commit") or ""),
            verification=verification, verified=ok,
            overwrites=[_conflict_line(c) for c in raw.get("overwrites") or []],
            commit=str(raw.get("after_commit") or ""))
        if kind in ("promotion", "hotfix"):
            event.components = components
            event.checklist, event.checklist_basis = steps, basis
        if kind == "attempt":
            conflicts = [_conflict_line(c) for c in raw.get("conflicts") or []]
            event.details = ([str(raw["error"])] if raw.get("error") else []) + conflicts
        events.append(event)
    return events


# -- the environment's own history ------------------------------------------------------------

def _train_ids(built: BuiltTrain | None) -> set[str]:
    if built is None:
        return set()
    # manual components too: a deleted class takes its profile entries with it
    return set(built.components) | set(built.deletes) | set(built.manual)


def history_events(store: SnapshotStore, env: str, explained: dict[str, set[str]],
                   registry: Registry) -> list[Event]:
    """Drift first seen, refreshes and the first snapshot, from `env`'s snapshots (oldest
    first). `explained`: commit -> components a promotion or rollback put there."""
    events = []
    for entry in reversed(store.log(env, limit=MAX_SNAPSHOTS)):
        meta = entry.meta
        when = utc(meta.get("finished") or entry.date)
        refresh = meta.get("refresh")
        if isinstance(refresh, dict):
            events.append(Event(kind="refresh", when=utc(refresh.get("at") or when), who="",
                                title=f"refreshed: org {refresh.get('from_org_id', '?')} → "
                                      f"{refresh.get('to_org_id', '?')}", commit=entry.commit))
            continue  # a refresh replaces the org: its differences are not drift
        if not entry.parents:
            events.append(Event(kind="first snapshot", when=when, who="",
                                title=f"first snapshot ({meta.get('components', '?')} components)",
                                commit=entry.commit))
            continue
        diff = diff_commits(store, entry.parents[0], entry.commit, registry=registry)
        known = explained.get(entry.commit)
        lines = []
        for change in diff.changes:
            cid, parent = str(change.component), str(change.parent) if change.parent else None
            if known is not None and (cid in known or parent in known):
                continue
            gives = granted(change.component, registry) if change.kind == "removed" else None
            if known is not None and gives is not None and str(gives) in known:
                continue  # an entry granting a class the train deleted goes with the class
            by = change.new_by if change.kind != "removed" else change.old_by
            kind = {"added": "added", "removed": "deleted"}.get(change.kind, "changed")
            lines.append(ComponentLine(cid, kind, by.last_modified_by, by.last_modified_date))
        if lines:
            names = sorted({line.by for line in lines if line.by})
            events.append(Event(kind="drift", when=when, who=", ".join(names) or "unknown",
                                title=f"{counted(len(lines), 'change')} outside the release "
                                      f"process (first seen in this snapshot)",
                                components=lines, commit=entry.commit))
    return events


def changelog(config: Config, store: SnapshotStore, env: str,
              registry: Registry | None = None) -> Changelog:
    registry = registry or default_registry()  # entry point: the CLI passes the Workspace's
    env_cfg = config.env(env)
    events: list[Event] = []
    explained: dict[str, set[str]] = {}
    for train in list_trains(store, record="log.json"):
        try:
            built: BuiltTrain | None = load_train(store, train)
        except SfenvError:
            built = None
        for event in train_events(config, store, env, train, built, registry):
            events.append(event)
            if event.commit and event.kind in ("promotion", "hotfix", "rollback"):
                explained.setdefault(event.commit, set()).update(_train_ids(built))
    events += history_events(store, env, explained, registry)
    events.sort(key=lambda e: (e.when, e.kind != "first snapshot"))
    return Changelog(env=env, production=bool(env_cfg.production), events=events)
