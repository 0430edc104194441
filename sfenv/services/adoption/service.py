"""`sfenv adoption`: for each component a train added or changed in an environment, from the
time it reached the environment (T0: the finish of the train's last `deployed` promotion there,
from the release log), a usage signal, its figures and a verdict.

Each run commits one JSON per environment and day (`days/YYYY-MM-DD.json`) on
`refs/sfenv/adoption/<ENV>`, the earlier days kept in the same tree, so trends outlive the
org's own retention (LoginHistory six months, event logs days) and a run reads them back and
adds today's measurement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sfenv.config.adoption import AdoptionSettings
from sfenv.config.model import Config, EnvConfig
from sfenv.core.compare.counts import counted
from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.errors import MetadataError, ReleaseError, StoreError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.io.store.stream import BlobId
from sfenv.services.adoption import signals, verdicts
from sfenv.services.adoption.grants import Grants, object_grants
from sfenv.services.adoption.signals import CallLog, CountingOrg, Figures, Unavailable, UsageOrg
from sfenv.services.records.refwrite import write_record
from sfenv.services.records.release_log import read_log
from sfenv.services.train.model import LogEntry
from sfenv.services.train.train import list_trains, load_train

DAYS_DIR = "days/"
HEADLINE = {  # the figure a trend point keeps, per signal
    "fill_rate": "fill_rate", "records_since": "records", "page_views": "views_last_day",
    "report_run": "ran_since_release", "flow_runs": "runs", "audience": "active",
}


def adoption_ref(env: str) -> str:
    return f"refs/sfenv/adoption/{env}"


@dataclass
class Measure:
    """One component's row: its signal, figures and verdict (and where it came from)."""

    train: str
    component: str
    t0: str
    age_days: float
    signal: str  # fill_rate | records_since | page_views | report_run | flow_runs | audience
    # | none
    verdict: str
    why: str
    settled: bool
    figures: Figures = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"train": self.train, "component": self.component, "t0": self.t0,
                "age_days": round(self.age_days, 2), "signal": self.signal,
                "verdict": self.verdict, "why": self.why, "settled": self.settled,
                "figures": self.figures, "trend": self.trend}


@dataclass
class AdoptionRun:
    env: str
    measured_at: str
    settings: AdoptionSettings
    rows: list[Measure] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unused_settled(self) -> list[Measure]:
        """Unused after the configured days: what --fail-on-unused fails on, shown first."""
        return [m for m in self.rows if m.verdict == verdicts.UNUSED and m.settled]

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "measured_at": self.measured_at,
                "thresholds": {"days": self.settings.days, "used": self.settings.used,
                               "low": self.settings.low},
                "unused_after_days": [m.component for m in self.unused_settled],
                "rows": [m.to_dict() for m in self.rows],
                "api_calls": {"count": len(self.calls), "soql": self.calls},
                "notes": self.notes}


# -- which components, since when -------------------------------------------------------------

def deployed_at(entries: Sequence[LogEntry], env: str) -> str | None:
    """T0: the finish of the last `deployed` promotion to `env`, unless a later rollback took
    the train back out of it."""
    t0: str | None = None
    for entry in entries:
        if entry.env != env:
            continue
        if entry.action == "promote" and entry.result == "deployed":
            t0 = entry.finished or entry.started
        elif entry.action == "rollback" and entry.result == "rolled_back":
            t0 = None
    return t0


def trains_in(store: SnapshotStore, env: str, train: str | None) -> list[tuple[str, str]]:
    """(train, T0) of the train asked, or of every train deployed to `env`. ReleaseError
    when the train asked never reached `env`."""
    names = [train] if train else list_trains(store, "log.json")
    found = []
    for name in names:
        t0 = deployed_at(read_log(store, name), env)
        if t0:
            found.append((name, t0))
        elif train:
            load_train(store, name)  # "no release train ..." when it does not exist
            raise ReleaseError(f"release train {name} has no deployed promotion to {env} "
                               f"(see `sfenv release status {name}`)")
    return found


# -- what a component is (field type, flow kind) from the environment's snapshot ---------------

class ComponentFacts:
    """Reads a component's XML from the environment's latest snapshot, once per file."""

    def __init__(self, store: SnapshotStore, commit: str | None, registry: Registry) -> None:
        self.store, self.commit, self.registry = store, commit, registry
        self._pieces: dict[str, dict[str, bytes]] = {}
        self._grants: Grants | None = None

    def grants(self, obj: str) -> tuple[set[str], set[str]]:
        """(profiles, permission sets) of the snapshot that grant creating `obj`'s records."""
        if self._grants is None:
            self._grants = object_grants(self.store, self.commit) if self.commit else {}
        return self._grants.get(obj, (set(), set()))

    def values(self, cid: ComponentId) -> dict[str, str]:
        """The component's top-level element texts (`type`, `formula`, `processType`...)."""
        if not self.commit:
            return {}
        path = self.registry.expected_path(self.registry.parent_id(cid))
        if path not in self._pieces:
            data = self.store.read_file(self.commit, path)
            try:
                pieces = split_file(path, data, self.registry) if data else []
            except MetadataError:
                pieces = []
            self._pieces[path] = {str(p.id): p.xml for p in pieces}
        xml = self._pieces[path].get(str(cid))
        if xml is None:
            return {}
        root = parse_xml(xml, path)
        return {local_name(el): (el.text or "").strip() for el in root
                if isinstance(el.tag, str) and len(el) == 0}


# -- one component ----------------------------------------------------------------------------

def measure(org: CountingOrg, facts: ComponentFacts, settings: AdoptionSettings, train: str,
            component: str, t0_text: str, now: datetime) -> Measure:
    t0 = signals.parse_time(t0_text)
    age = max(0.0, (now - t0).total_seconds() / 86400)
    cid = ComponentId.parse(component)
    signal, figures, verdict = _signal(org, facts, settings, cid, t0, now)
    return Measure(train, component, t0_text, age, signal, verdict.verdict, verdict.why,
                   verdicts.settled(age, settings), figures)


def _signal(org: CountingOrg, facts: ComponentFacts, settings: AdoptionSettings,
            cid: ComponentId, t0: datetime, now: datetime
            ) -> tuple[str, Figures, verdicts.Verdict]:
    kind, name = cid.type, cid.full_name
    try:
        if kind == "CustomField" and "." in name:
            obj, fname = name.split(".", 1)
            info = facts.values(cid)
            if info.get("formula") or info.get("type") in ("Summary", "AutoNumber"):
                return "none", {}, verdicts.Verdict(
                    verdicts.UNKNOWN, f"a {info.get('type') or 'formula'} field is computed, "
                                      "not filled by people: no fill rate")
            figures = signals.field_fill(org, obj, fname, info.get("type", ""), t0)
            why = str(figures.pop("unknown_why", "") or "")
            return "fill_rate", figures, verdicts.field_fill(
                _int(figures.get("filled")), _int(figures.get("records")), settings, why)
        if kind == "CustomObject" and not name.endswith("__c"):
            return "none", {}, verdicts.Verdict(
                verdicts.UNKNOWN, f"{name} is a standard object: its records say nothing about "
                                  "what the train changed on it")
        if kind == "CustomObject":
            figures = signals.object_records(org, name, t0, facts.grants(name))
            return "records_since", figures, verdicts.object_reach(
                _int(figures["records"]), _int(figures["creators"]),
                _int(figures["eligible_users"]), settings)
        if kind == "FlexiPage":
            figures = signals.page_views(org, name, t0, now)
            return "page_views", figures, verdicts.page_views(
                _int(figures["days_with_views"]), _int(figures["days"]) or 0, settings)
        if kind == "Report":
            figures = signals.report_run(org, name, t0)
            return "report_run", figures, verdicts.report_run(bool(figures["ran_since_release"]))
        if kind == "Flow":
            process = facts.values(cid).get("processType", "")
            if process != "Flow":
                return "none", {"process_type": process or None}, verdicts.Verdict(
                    verdicts.UNKNOWN, f"only screen flows leave FlowInterviewLog rows; this "
                                      f"flow is {process or 'of unknown kind'}: no free signal")
            figures = signals.flow_runs(org, name, t0)
            return "flow_runs", figures, verdicts.flow_runs(_int(figures["runs"]),
                                                            _int(figures["errors"]))
        if kind in ("PermissionSet", "Group", "Queue"):
            members = (signals.permission_set_members(org, name) if kind == "PermissionSet"
                       else signals.group_members(org, name,
                                                  "Regular" if kind == "Group" else "Queue"))
            figures = signals.audience(org, members, t0, now)
            return "audience", figures, verdicts.audience(_int(figures["members"]),
                                                          _int(figures["active"]), settings)
    except Unavailable as err:
        return "none", {}, verdicts.Verdict(verdicts.UNKNOWN, f"the org does not offer the "
                                                              f"signal: {err}")
    return "none", {}, verdicts.Verdict(verdicts.UNKNOWN, f"no free usage signal for {kind}")


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


# -- history ----------------------------------------------------------------------------------

def history(store: SnapshotStore, env: str) -> dict[str, dict[str, Any]]:
    """Day (YYYY-MM-DD) -> that day's recorded run, oldest first."""
    head = store.ref_commit(adoption_ref(env))
    if not head:
        return {}
    days = {p: sha for p, sha in store.files(head).items() if p.startswith(DAYS_DIR)}
    out = {}
    blobs = store.read_blobs(days.values())
    for path in sorted(days):
        try:
            record = json.loads(blobs[days[path]])
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as err:
            raise StoreError(f"{adoption_ref(env)}:{path}: not an adoption record ({err}); "
                             "remove that day with git or delete the ref to start the history "
                             "again") from err
        out[path[len(DAYS_DIR):-len(".json")]] = record
    return out


def _point(day: str, row: dict[str, Any]) -> dict[str, Any]:
    key = HEADLINE.get(str(row.get("signal")), "")
    value = (row.get("figures") or {}).get(key) if key else None
    return {"day": day, "value": value, "verdict": row.get("verdict")}


def add_trends(run: AdoptionRun, past: dict[str, dict[str, Any]]) -> None:
    """Each row's trend: one point per recorded day (today's run replaces today's record)."""
    today = run.measured_at[:10]
    for measure_row in run.rows:
        points = []
        for day, record in past.items():
            if day == today:
                continue
            for row in record.get("rows", []):
                if (row.get("train"), row.get("component")) == (measure_row.train,
                                                                measure_row.component):
                    points.append(_point(day, row))
        points.append(_point(today, measure_row.to_dict()))
        measure_row.trend = points


def record(store: SnapshotStore, run: AdoptionRun) -> str:
    """Commit today's JSON beside the earlier days on the environment's adoption ref."""
    ref = adoption_ref(run.env)
    path = f"{DAYS_DIR}{run.measured_at[:10]}.json"
    body = run.to_dict()
    for row in body["rows"]:
        row.pop("trend", None)  # the trend is rebuilt from the days; not stored twice
    data = (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()

    def files() -> dict[str, bytes | BlobId]:
        head = store.ref_commit(ref)
        kept: dict[str, bytes | BlobId] = {
            p: BlobId(sha) for p, sha in (store.files(head).items() if head else ())
            if p.startswith(DAYS_DIR)}
        kept[path] = data
        return kept

    unused = len(run.unused_settled)
    return write_record(store, ref, files,  # type: ignore[arg-type]
                        f"sfenv adoption {run.env}: {counted(len(run.rows), 'component')}, "
                        f"{unused} unused after {run.settings.days} days\n",
                        f"the adoption run of {run.env}")


# -- the run ----------------------------------------------------------------------------------

def run_adoption(config: Config, store: SnapshotStore, env: str, train: str | None, *,
                 connect: Callable[[EnvConfig, str], UsageOrg], days: int | None = None,
                 now: datetime | None = None, registry: Registry | None = None,
                 save: bool = True) -> AdoptionRun:
    """Measure every component of the train (or of every train deployed to `env`), add the
    trend from the recorded days, and record today's run. ConfigError for a non-org env,
    ReleaseError for a train that never reached it, OrgError (exit 3) when the org fails."""
    env_cfg = config.env(env)
    if env_cfg.kind != "org":
        from sfenv.errors import ConfigError
        raise ConfigError(f"sfenv.yml: environment {env} is not an org: adoption is measured "
                          "in an org")
    settings = AdoptionSettings(days=days or config.adoption.days, used=config.adoption.used,
                                low=config.adoption.low)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    run = AdoptionRun(env, moment.isoformat(timespec="seconds"), settings)
    deployed = trains_in(store, env, train)
    if not deployed:
        run.notes.append(f"no train has a deployed promotion to {env}")
    else:
        log = CallLog()
        org = CountingOrg(connect(env_cfg, config.api_version), log)
        facts = ComponentFacts(store, store.head(env), registry or default_registry())
        for name, t0 in deployed:
            for component in load_train(store, name).components:
                run.rows.append(measure(org, facts, settings, name, component, t0, moment))
        run.calls = log.calls
    run.rows.sort(key=lambda m: (not (m.verdict == verdicts.UNUSED and m.settled), m.train,
                                 m.component))
    add_trends(run, history(store, env))
    if save and run.rows:
        record(store, run)
    return run
