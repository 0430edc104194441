"""Collect everything the HTML report shows from the config and the snapshot store.

Services return data: this builds a `ReportData` and never prints or renders. When a part
cannot be read (an SfenvError: a snapshot, a train or a checklist state), the report says so in
`notices` and shows the rest instead of failing.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sfenv.config.model import Config
from sfenv.core.compare import status as compare_status
from sfenv.core.compare.model import HopStatus, PathEntry
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import SfenvError
from sfenv.io.store.format import AUDIT_PATH
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services import promote as release
from sfenv.services.records.backups import list_backups
from sfenv.services.records.changelog import changelog, train_components
from sfenv.services.records.checklist_state import current_done, frozen_checklist
from sfenv.services.report.model import (
    DEFAULT_MAX_AUDIT_ROWS,
    DEFAULT_MAX_ELEMENTS_PER_ROW,
    DEFAULT_MAX_ROWS_PER_HOP,
    AuditRow,
    BackupTag,
    ChangeRecord,
    ChangeRow,
    ChecklistItem,
    EnvSummary,
    HopSection,
    RecordEntry,
    ReportData,
    Side,
    StageState,
    TrainComponent,
    TrainSummary,
    TypeGroup,
    build_owd_table,
    build_role_trees,
)
from sfenv.services.report.sfxml import (
    Owd,
    RoleInfo,
    object_name_of,
    owd_from_xml,
    role_from_xml,
    role_name_of,
)
from sfenv.services.train.train import load_train

BACKUP_PREFIX = "backup/"
STATUS_ORDER = {"conflict": 0, "drift": 1, "pending": 2}
MAX_NOTICES_PER_KIND = 5


def collect_report(config: Config, store: SnapshotStore, *, out: str = "report.html",
                   now: datetime | None = None,
                   max_rows_per_hop: int = DEFAULT_MAX_ROWS_PER_HOP,
                   registry: Registry | None = None) -> ReportData:
    """The report of `config`'s promotion path as the store holds it now, seen through the
    project's registry (types declared in sfenv.yml are components; shipped one otherwise)."""
    registry = registry or default_registry()  # entry point: the CLI passes the Workspace's
    notices: list[str] = []
    order = [env for stage in config.stages for env in stage]
    heads = {env: _head(store, env, notices) for env in order}
    data = ReportData(
        project=config.project,
        generated=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        path=[_env_summary(config, store, env, heads[env], notices) for env in order],
        notices=notices,
        reproduce=_reproduce(config, out),
    )
    data.hops = _hops(config, store, heads, notices, max_rows_per_hop, registry)
    roles, owds = _roles_and_owd(store, order, heads, notices, registry)
    data.trains = _trains(config, store, notices, registry)
    data.role_trees = build_role_trees([(env, roles[env]) for env in order],
                                       roles_deleted(data.trains))
    data.owd = build_owd_table([(env, owds[env]) for env in order])
    mark_train_rows(data.hops, data.trains)
    data.backups = _backups(store, notices)
    data.records = _records(config, store, order, notices, registry)
    return data


# ---------------------------------------------------------------- environments


def _head(store: SnapshotStore, env: str, notices: list[str]) -> str | None:
    try:
        return store.head(env)
    except SfenvError as err:
        notices.append(f"{env}: snapshot unavailable ({err})")
        return None


def _env_summary(config: Config, store: SnapshotStore, env: str, head: str | None,
                 notices: list[str]) -> EnvSummary:
    cfg = config.environments[env]
    summary = EnvSummary(
        name=env, stage=config.stage_index(env), production=cfg.production,
        owner=cfg.owner, purpose=cfg.purpose,
        commit=head,
    )
    if head is None:
        notices.append(f"{env}: no snapshot yet (run `sfenv pull {env}`)")
        return summary
    try:
        meta = store.meta(head)
    except SfenvError as err:
        notices.append(f"{env}: snapshot details unreadable ({err})")
        return summary
    summary.snapshot_time = meta.get("finished") or meta.get("started")
    counts = meta.get("counts_by_type")
    if isinstance(meta.get("components"), int):
        summary.component_count = meta["components"]
    elif isinstance(counts, Mapping):
        summary.component_count = sum(v for v in counts.values() if isinstance(v, int))
    return summary


def _reproduce(config: Config, out: str) -> str:
    return f"sfenv report --config {config.file} --out {out}"


# ---------------------------------------------------------------- hops


def _hops(config: Config, store: SnapshotStore, heads: Mapping[str, str | None], notices: list[str],
          max_rows: int, registry: Registry) -> list[HopSection]:
    try:
        statuses = compare_status.all_status(store, config, registry=registry)
    except SfenvError as err:
        notices.append(f"Promotion path status unavailable ({_why(err)}).")
        return []
    audits: dict[str, list[dict[str, Any]]] = {}
    sections = []
    for hop in statuses:
        target = hop.target
        if target not in audits:
            audits[target] = _audit_trail(store, heads.get(target))
        since = _base_time(store, hop.base)
        sections.append(hop_section(hop, audits[target], since=since, max_rows=max_rows))
    return sections


def hop_section(hop: HopStatus, audit_rows: list[dict[str, Any]], *, since: str | None = None,
                max_rows: int = DEFAULT_MAX_ROWS_PER_HOP,
                max_elements: int = DEFAULT_MAX_ELEMENTS_PER_ROW) -> HopSection:
    """One HopStatus as a report section: counts, then the worst entries first up to the cap."""
    section = HopSection(source=hop.source, target=hop.target,
                         target_is_production=bool(hop.target_is_production),
                         three_way=hop.base is not None,
                         mode=hop.mode or ("three-way" if hop.base is not None else "two-way"),
                         note=hop.note, accepted_differences=len(hop.accepted))
    for entry in hop.entries:
        section.counts[entry.status] = section.counts.get(entry.status, 0) + 1
    ranked = sorted(hop.entries, key=lambda e: (STATUS_ORDER.get(e.status, 9),
                                                e.change.component.type,
                                                e.change.component.full_name))
    shown, section.more = ranked[:max_rows], max(0, len(ranked) - max_rows)
    groups: dict[str, list[ChangeRow]] = {}
    for entry in shown:
        row = _change_row(hop, entry, audit_rows, since, max_elements)
        groups.setdefault(row.type, []).append(row)
    section.groups = [TypeGroup(type=t, rows=rows) for t, rows in sorted(groups.items())]
    return section


def _change_row(hop: HopStatus, entry: PathEntry, audit_rows: list[dict[str, Any]], since: str | None,
                max_elements: int) -> ChangeRow:
    change = entry.change
    cid = change.component
    elements = [str(e) for e in change.elements]
    outside = entry.outside_release or (
        bool(hop.target_is_production) and entry.status in ("drift", "conflict"))
    row = ChangeRow(
        component=str(cid), type=cid.type, name=cid.full_name, status=entry.status,
        kind=change.kind, elements=elements[:max_elements],
        elements_more=max(0, len(elements) - max_elements),
        outside_release=bool(outside), reason=entry.reason,
    )
    # `change` is what promoting would do to B: old = target (B), new = source (A).
    # base→A (`source_change`) and base→B (`target_change`) are exact when a base exists.
    if entry.status in ("pending", "conflict"):
        by = entry.source_by or (entry.source_change.new_by if entry.source_change
                                 else change.new_by)
        row.changed_in.append(Side(hop.source, by.last_modified_by, by.last_modified_date))
    if entry.status in ("drift", "conflict"):
        by = entry.target_by or (entry.target_change.new_by if entry.target_change
                                 else change.old_by)
        row.changed_in.append(Side(hop.target, by.last_modified_by, by.last_modified_date))
        given = entry.audit
        row.audit = ([_audit_row(r) for r in given][:DEFAULT_MAX_AUDIT_ROWS] if given
                     else matching_audit_rows(cid.full_name, audit_rows, since=since))
    return row


def _audit_row(raw: Mapping[str, Any]) -> AuditRow:
    by = raw.get("CreatedByName") or (raw.get("CreatedBy") or {}).get("Name") or ""
    return AuditRow(date=str(raw.get("CreatedDate") or ""), by=str(by),
                    action=str(raw.get("Action") or ""), section=str(raw.get("Section") or ""),
                    display=str(raw.get("Display") or ""))


def matching_audit_rows(full_name: str, rows: Iterable[Mapping[str, Any]], *,
                        since: str | None = None,
                        limit: int = DEFAULT_MAX_AUDIT_ROWS) -> list[AuditRow]:
    """Audit trail rows that name the component (its last name segment, as a whole word),
    newer than `since` when given, newest first, at most `limit`."""
    last = full_name.rsplit(".", 1)[-1]
    words = {last}
    if last.endswith("__c") and len(last) > 7:
        words.add(last[:-3])
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(w) for w in words) + r")(?![\w])",
                         re.IGNORECASE)
    found: list[AuditRow] = []
    for raw in rows:
        date = str(raw.get("CreatedDate") or "")
        if since and date and date < since:
            continue
        if pattern.search(str(raw.get("Display") or "")):
            found.append(_audit_row(raw))
    found.sort(key=lambda a: a.date, reverse=True)
    return found[:limit]


def _audit_trail(store: SnapshotStore, head: str | None) -> list[dict[str, Any]]:
    if head is None:
        return []
    try:
        sha = store.files_under(head, [AUDIT_PATH]).get(AUDIT_PATH)
        if sha is None:
            return []
        rows = json.loads(store.read_blob(sha))
    except (SfenvError, ValueError):
        return []
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _base_time(store: SnapshotStore, base: tuple[str, str] | None) -> str | None:
    """When the target side of the hop's base was taken (audit rows older than it are old news)."""
    if not base:
        return None
    try:
        meta = store.meta(base[1])
    except SfenvError:
        return None
    return meta.get("finished") or meta.get("started")


# ---------------------------------------------------------------- roles and OWD


def _roles_and_owd(store: SnapshotStore, order: list[str], heads: Mapping[str, str | None],
                   notices: list[str], registry: Registry,
                   ) -> tuple[dict[str, dict[str, RoleInfo] | None],
                                                dict[str, dict[str, Owd] | None]]:
    """Read only Role files and object files, each distinct blob once across environments."""
    roles: dict[str, dict[str, RoleInfo] | None] = {}
    owds: dict[str, dict[str, Owd] | None] = {}
    role_cache: dict[tuple[str, str], RoleInfo | None] = {}
    owd_cache: dict[str, Owd | None] = {}
    problems: list[str] = []
    # the registry is looked up once here, not per path: 170,000 paths per snapshot at 60k components
    role_dir = registry.hierarchy_type().directory + "/"
    object_dir = registry.get("CustomObject").directory + "/"
    for env in order:
        head = heads.get(env)
        if head is None:
            roles[env] = owds[env] = None
            continue
        try:
            files = store.files_under(head, [role_dir, object_dir])
        except SfenvError as err:
            notices.append(f"{env}: snapshot files unreadable ({err})")
            roles[env] = owds[env] = None
            continue
        role_paths = {p: n for p in files
                      if p.startswith(role_dir) and (n := role_name_of(p, registry))}
        object_paths = {p: n for p in files
                        if p.startswith(object_dir) and (n := object_name_of(p, registry))}
        wanted = {files[p] for p in role_paths if (role_paths[p], files[p]) not in role_cache}
        wanted |= {files[p] for p in object_paths if files[p] not in owd_cache}
        blobs = _read_blobs(store, wanted)
        env_roles: dict[str, RoleInfo] = {}
        for path, name in sorted(role_paths.items()):
            key = (name, files[path])
            if key not in role_cache:
                role_cache[key] = _safely(role_from_xml, (name, blobs[key[1]], path, registry),
                                          f"{env}: {path}", problems)
            role = role_cache[key]
            if role is not None:
                env_roles[name] = role
        env_owds: dict[str, Owd] = {}
        for path, name in sorted(object_paths.items()):
            sha = files[path]
            if sha not in owd_cache:
                owd_cache[sha] = _safely(owd_from_xml, (blobs[sha], path),
                                         f"{env}: {path}", problems)
            owd = owd_cache[sha]
            if owd is not None and (owd.internal or owd.external):
                env_owds[name] = owd
        roles[env], owds[env] = env_roles, env_owds
    notices.extend(problems[:MAX_NOTICES_PER_KIND])
    if len(problems) > MAX_NOTICES_PER_KIND:
        notices.append(f"… and {len(problems) - MAX_NOTICES_PER_KIND} more unreadable files.")
    return roles, owds


def _read_blobs(store: SnapshotStore, shas: set[str]) -> dict[str, bytes]:
    if not shas:
        return {}
    return store.read_blobs(sorted(shas))


def _safely(read: Callable[..., Any], args: tuple[Any, ...], where: str, problems: list[str]) -> Any:
    try:
        return read(*args)
    except SfenvError as err:
        problems.append(f"{where} skipped: {err}")
        return None


# ---------------------------------------------------------------- trains and backups


def _trains(config: Config, store: SnapshotStore, notices: list[str],
            registry: Registry) -> list[TrainSummary]:
    try:
        raw = list(release.train_summaries(config, store, registry))
    except SfenvError as err:
        notices.append(f"Release trains unavailable ({_why(err)}).")
        return []
    order = [env for stage in config.stages for env in stage]
    trains = [train_summary(t, order) for t in raw]
    _attach_checklists(config, raw, trains, notices, store)
    _attach_components(store, trains, notices, registry)
    return trains


def _attach_components(store: SnapshotStore, trains: list[TrainSummary], notices: list[str],
                       registry: Registry) -> None:
    """What each train carries (added / changed / deleted / manual), with the upstream authors."""
    for train in trains:
        try:
            built = load_train(store, train.name)
            lines = train_components(store, built, registry)
        except SfenvError as err:
            notices.append(f"{train.name}: components unreadable ({_why(err)})")
            continue
        train.component_list = [TrainComponent(c.component, c.kind, c.by, c.date) for c in lines]


def roles_deleted(trains: list[TrainSummary]) -> dict[str, set[str]]:
    """env -> the roles a train deployed there deleted (the only roles the role tree marks
    removed: one the previous environment has and this one never got is not a removal)."""
    out: dict[str, set[str]] = {}
    for train in trains:
        names = {c.component.split(":", 1)[1] for c in train.component_list
                 if c.kind == "deleted" and c.component.startswith("Role:")}
        for stage in train.stages if names else ():
            if stage.status == "deployed":
                out.setdefault(stage.env, set()).update(names)
    return out


def mark_train_rows(hops: list[HopSection], trains: list[TrainSummary]) -> None:
    """A pending (or conflict) row belongs to a built train that carries the component and is
    not yet deployed to the hop's target."""
    for hop in hops:
        carriers = []
        for train in trains:
            stage = next((s for s in train.stages if s.env == hop.target), None)
            if stage is not None and stage.status in ("deployed", "source"):
                continue
            carriers.append((train.name, {c.component for c in train.component_list}))
        for group in hop.groups:
            for row in group.rows:
                if row.status in ("pending", "conflict"):
                    row.trains = [name for name, ids in carriers if row.component in ids]


def train_summary(raw: Any, order: list[str]) -> TrainSummary:
    """Adapt `sfenv.services.train.model.TrainSummary` (or an equivalent dict) to the report's view:
    one row per environment on the path from the train's source on."""
    get = _getter(raw)
    states = {}
    for state in get("envs") or []:
        sget = _getter(state)
        states[str(sget("env"))] = sget
    train = TrainSummary(name=str(get("name")), built=get("created") or None,
                         digest=str(get("digest") or ""),
                         components=get("components") if isinstance(get("components"), int) else None,
                         hotfix=bool(get("hotfix")),
                         open_hotfixes=[str(e) for e in get("open_hotfixes") or []],
                         source=str(get("source") or ""))
    source = get("source")
    envs = order[order.index(source):] if source in order else list(order)
    envs += [e for e in states if e not in envs]
    for env in envs:
        env_get = states.get(env)
        stage = StageState(env=env)
        if env_get is not None:
            state, date = str(env_get("state") or ""), env_get("date") or None
            stage.status = "" if state in ("pending", "not yet") else state
            # seam: the steps layer's wording of the state with its date (EnvState.label);
            # without it the status and date below are rendered as before
            stage.label = str(env_get("label") or "") if stage.status not in ("", "source") else ""
            stage.date = date
            stage.validated = env_get("validated") or (date if state == "validated" else None)
            stage.deployed = env_get("deployed") or (date if state == "deployed" else None)
            stage.backup_tag = str(env_get("backup_tag") or "")
            stage.hotfix = bool(env_get("hotfix"))
        train.stages.append(stage)
    return train


def _attach_checklists(config: Config, raw: list[Any], trains: list[TrainSummary],
                       notices: list[str], store: SnapshotStore) -> None:
    """Steps come with the train summary (`checklist`: Step-like items per env or a list);
    which are done is read from the releases ref and `<root>/releases`."""
    missing = []
    for source, train in zip(raw, trains, strict=True):
        frozen_envs = _attach_frozen(store, train, notices)
        steps = _getter(source)("checklist")
        if steps is None:
            if not frozen_envs:
                missing.append(train.name)
            continue
        per_env = steps.items() if isinstance(steps, Mapping) else [("", steps)]
        receives = {s.env for s in train.stages if s.env != train.source}
        for env, items in per_env:
            if env in frozen_envs or (env and env not in receives):
                continue  # the source and the stages upstream of it never receive the train
            done: Mapping[str, Any] = {}
            if env:
                try:
                    done = current_done(config, store, train.name, env)
                except SfenvError as err:
                    notices.append(f"{train.name}: checklist state for {env} unreadable ({_why(err)})")
            for item in items:
                sget = _getter(item)
                sid = str(sget("id") or "")
                own = done.get(sid)
                mark = own if isinstance(own, Mapping) else {}
                train.checklist.append(ChecklistItem(
                    title=str(sget("title") or sid), phase=str(sget("phase") or ""),
                    done=bool(sget("done")) or sid in done, severity=str(sget("severity") or ""),
                    owner=str(sget("owner") or ""), id=sid, env=str(env),
                    done_by=str(mark.get("by", "")), done_at=str(mark.get("at", ""))))
    if missing:
        notices.append("Checklists not recorded with the release trains: " + ", ".join(missing)
                       + " (sfenv.services.promote.train_summaries gives no `checklist`).")


def _attach_frozen(store: SnapshotStore, train: TrainSummary, notices: list[str]) -> set[str]:
    """The checklists frozen at each promotion of the train, with their ticks; returns the
    environments that have one (their live steps are not shown again)."""
    found = set()
    for stage in train.stages:
        try:
            frozen = frozen_checklist(store, train.name, stage.env)
        except SfenvError as err:
            notices.append(f"{train.name}: checklist of {stage.env} unreadable ({_why(err)})")
            continue
        if frozen is None:
            continue
        found.add(stage.env)
        for step in frozen.steps:
            mark = frozen.done.get(step.id) or {}
            train.checklist.append(ChecklistItem(
                title=step.title, phase=step.phase, done=step.id in frozen.done,
                severity=step.severity, owner=step.owner, id=step.id, env=stage.env,
                done_by=mark.get("by", ""), done_at=mark.get("at", ""), frozen=True))
    return found


def _backups(store: SnapshotStore, notices: list[str]) -> list[BackupTag]:
    try:
        return [BackupTag(env=b.env, tag=b.tag, commit=b.commit, date=b.date, named=b.named)
                for b in list_backups(store)]
    except SfenvError as err:
        notices.append(f"Named backups unavailable ({_why(err)}).")
    try:
        found = store.tags(BACKUP_PREFIX)
    except SfenvError as err:
        notices.append(f"Backups unavailable ({err}).")
        return []
    out = [backup_tag(name, commit) for name, commit in found.items()]
    out.sort(key=lambda b: (b.date or "", b.tag), reverse=True)
    return out


def backup_tag(name: str, commit: str | None) -> BackupTag:
    """`backup/prod/20240501T175900Z` -> env prod, taken 2024-05-01T17:59:00Z."""
    parts = name.split("/")
    env = parts[1] if len(parts) > 2 else ""
    date = None
    with contextlib.suppress(ValueError):
        date = datetime.strptime(parts[-1], "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
    return BackupTag(env=env, tag=name, commit=commit, date=date)


# ---------------------------------------------------------------- change records

MAX_RECORD_ENTRIES = 30
MAX_RECORD_COMPONENTS = 5


def _records(config: Config, store: SnapshotStore, order: list[str], notices: list[str],
             registry: Registry) -> list[ChangeRecord]:
    """The change record (`sfenv changelog`) of each production environment, latest entries."""
    prod = [env for env in order
            if getattr(config.environments.get(env), "production", False)]
    if not prod:
        return []
    out = []
    for env in prod:
        try:
            log = changelog(config, store, env, registry)
        except SfenvError as err:
            notices.append(f"{env}: change record unavailable ({_why(err)})")
            continue
        shown = log.events[-MAX_RECORD_ENTRIES:]
        out.append(ChangeRecord(env=env, entries=[record_entry(e) for e in shown],
                                more=len(log.events) - len(shown)))
    return out


def record_entry(event: Any) -> RecordEntry:
    """One changelog event as a few lines for the report."""
    details: list[str] = []
    kinds = Counter(c.kind for c in event.components)
    if event.kind in ("promotion", "hotfix") and event.components:
        details.append(f"{len(event.components)} components: "
                       + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    if event.deploy_ids:
        details.append("deploy " + ", ".join(event.deploy_ids))
    if event.backup_tag:
        details.append(f"backup before: {event.backup_tag}")
    if event.verification:
        details.append(f"verification: {event.verification}")
    if event.overwrites:
        details.append("overwrote: " + "; ".join(event.overwrites))
    if event.checklist:
        done = [s for s in event.checklist if s.done]
        details.append(f"checklist: {len(done)} of {len(event.checklist)} done")
        details += [f"☐ open: {s.title}" for s in event.checklist if not s.done]
    if event.kind == "drift":
        details += [f"{c.kind} {c.component}" + (f" by {c.by}" if c.by else "")
                    + (f" ({c.date})" if c.date else "")
                    for c in event.components[:MAX_RECORD_COMPONENTS]]
        if len(event.components) > MAX_RECORD_COMPONENTS:
            details.append(f"… and {len(event.components) - MAX_RECORD_COMPONENTS} more")
    details += list(event.details)
    return RecordEntry(when=event.when, kind=event.kind, title=event.title, who=event.who,
                       details=details)


# ---------------------------------------------------------------- helpers


def _getter(obj: Any) -> Callable[[str], Any]:
    if isinstance(obj, Mapping):
        return obj.get
    return lambda key: getattr(obj, key, None)


def _why(err: BaseException) -> str:
    return str(err) or type(err).__name__
