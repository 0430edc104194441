"""What release services return: plans, built trains, promotions, log entries, summaries.

Plain dataclasses (and `to_dict` for JSON); rendering lives in `sfenv.views.release`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sfenv.core.metadata.ids import ComponentId

DEFAULT_MAX_FILES = 10_000
DEFAULT_MAX_BYTES = 39 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-deploy limits of the Metadata API; above them a train is split into waves."""

    max_files: int = DEFAULT_MAX_FILES
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class Item:
    """One component of a plan or train, with who last changed it on the source side."""

    component: str  # "Type:FullName"
    kind: str  # "added" | "modified" | "removed"
    path: str = ""
    last_modified_by: str | None = None
    last_modified_date: str | None = None


@dataclass
class DependencyProblem:
    """`component` needs `needs`, which is neither packaged nor in the target."""

    component: str
    needs: str
    target: str
    deleted_by_package: bool = False  # in the target, but the package deletes it

    def __str__(self) -> str:
        if self.deleted_by_package:
            return f"{self.component} needs {self.needs}, which the package deletes from {self.target}"
        return (f"{self.component} needs {self.needs}, which is neither in the package "
                f"nor in {self.target}")


@dataclass
class Wave:
    """One deployable part of a train (a single wave when under the limits)."""

    number: int
    files: int
    bytes: int
    members: list[str]
    has_destructive: bool = False


@dataclass(frozen=True)
class EntryFit:
    """One permission entry of a profile or permission set in the package: deployed, or left
    out because the component it grants is neither in the target nor in the train."""

    entry: str  # PermissionSetClassAccess:Billing_Manager/InvoiceReminderService
    grants: str  # ApexClass:InvoiceReminderService
    deployed: bool

    def __str__(self) -> str:
        return self.entry if self.deployed else (
            f"{self.entry} (not deployed: no {self.grants} in the target or the train)")


@dataclass
class PackageFiles:
    """The package as files: `package.xml`, destructive manifests, `src/<path>`."""

    files: dict[str, bytes]
    deployed: list[ComponentId]
    deleted: list[ComponentId]
    pre_deleted: list[ComponentId] = field(default_factory=list)
    # every profile / permission set entry of the package, deployed or left out (fitted to
    # the target by `package.assemble`)
    entries: list[EntryFit] = field(default_factory=list)

    def src(self) -> dict[str, bytes]:
        """The metadata files only (paths relative to the package root)."""
        return {p[4:]: b for p, b in self.files.items() if p.startswith("src/")}

    def zip_members(self) -> dict[str, bytes]:
        """What goes in the deployable zip: manifests at the root, then the metadata files."""
        out = {p: b for p, b in self.files.items() if not p.startswith("src/")}
        out.update(self.src())
        return out


@dataclass
class ReleasePlan:
    train: str
    source: str
    source_commit: str
    target: str
    target_commit: str
    adds: list[Item]
    changes: list[Item]
    deletes: list[Item]
    manual: list[Item]
    dependency_problems: list[DependencyProblem]
    files: int
    bytes: int
    waves: int = 1
    pre_deletes: list[str] = field(default_factory=list)
    pulled_in: list[str] = field(default_factory=list)  # added by --with-dependencies
    placeholders: dict[str, list[str]] = field(default_factory=dict)  # env value -> components
    # components the target changed that the train would overwrite (drift or conflict on the
    # hop): {component, status, by, date, reason}
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a target that is not the next stage
    # profile / permission set entries the package deploys, and those left out because the
    # component they grant is neither in the target nor in the train
    entries: list[str] = field(default_factory=list)
    entries_left_out: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["dependency_problems"] = [
            {**asdict(p), "message": str(p)} for p in self.dependency_problems
        ]
        return data


@dataclass
class BuiltTrain:
    """A train as written on the releases ref (`train.json` plus where it lives)."""

    name: str
    source: str
    source_commit: str
    target: str
    target_commit: str
    created: str
    created_by: str
    digest: str
    components: list[str]  # packaged (deployed) components
    deletes: list[str]
    manual: list[str]
    waves: list[Wave]
    files: int
    bytes: int
    scope: dict[str, Any] = field(default_factory=dict)
    pulled_in: list[str] = field(default_factory=list)
    # `{{name}}` placeholders the stored files hold -> components using them; each promotion
    # substitutes the target environment's declared value
    placeholders: dict[str, list[str]] = field(default_factory=dict)
    # each environment's snapshot when the train was built: what a promotion there was planned
    # against (the guard compares the target's fresh state with it)
    env_commits: dict[str, str] = field(default_factory=dict)
    # the path's hops at build time: environment -> the one upstream of it (the hop whose drift
    # a promotion there would overwrite)
    hops: dict[str, str] = field(default_factory=dict)
    # the target's own changes the plan found at build time, per environment ({component,
    # status, by, date, reason}): the guard refuses them at promote unless named
    known_conflicts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # profile / permission set entries left out of the package (their component is in
    # neither the build's target nor the train): "entry (not deployed: ...)"
    entries_left_out: list[str] = field(default_factory=list)
    commit: str = ""  # commit on the releases ref
    tag: str = ""
    folder: str = ""  # exported copy on disk
    warnings: list[str] = field(default_factory=list)  # said at build time, not stored

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def train_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("commit", "tag", "folder", "warnings"):
            data.pop(key)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuiltTrain:
        waves = [Wave(**w) for w in data.get("waves", [])]
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "waves"}
        return cls(waves=waves, **known)


@dataclass
class ComponentFailure:
    component: str
    problem: str
    file_name: str
    line: int | None = None


@dataclass
class LogEntry:
    """One line of `releases/<TRAIN>/log.json`: a promotion or rollback attempt."""

    action: str  # "promote" | "rollback"
    env: str
    # "deployed" | "validated" | "validation_failed" | "deploy_failed" | "cancelled" |
    # "rolled_back" | "refused" (the guard found target changes the train would overwrite)
    result: str
    user: str
    started: str
    finished: str = ""
    hotfix: bool = False
    backup_tag: str = ""
    backup_commit: str = ""
    validation_id: str = ""
    deploy_ids: list[str] = field(default_factory=list)
    test_level: str = ""
    failures: list[ComponentFailure] = field(default_factory=list)
    error: str = ""
    verification: dict[str, Any] = field(default_factory=dict)
    after_commit: str = ""
    rollback_folder: str = ""
    checklist_open: list[str] = field(default_factory=list)
    # sha256 of each zip deployed here (the train with this env's values substituted)
    package_digests: list[str] = field(default_factory=list)
    # the guard: components the target changed since the plan that the train would overwrite
    # (`conflicts` when refused; `overwrites` those named by --overwrite and deployed anyway)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    # the hop's sync point record before this promotion recorded its own ({hop, commit}), so a
    # rollback can give the hop its earlier base (and the checklist its audit window) back
    sync_before: dict[str, str] = field(default_factory=dict)
    # each deploy submit, logged before it is sent: {kind: quick|full|rollback,
    # validation_id, digest, at, id} (`id` filled as soon as the org accepts it)
    deploy_intents: list[dict[str, str]] = field(default_factory=list)
    # how an unknown deploy was settled: "verify-only" or "abandon" (with who and when)
    resolution: dict[str, str] = field(default_factory=dict)
    # the step runner (`release.runner`): the step about to run, and those done, in order
    step: str = ""
    steps_done: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogEntry:
        failures = [ComponentFailure(**f) for f in data.get("failures", [])]
        known = {k: v for k, v in data.items()
                 if k in cls.__dataclass_fields__ and k != "failures"}
        return cls(failures=failures, **known)


@dataclass
class PromoteResult:
    train: str
    env: str
    entry: LogEntry
    steps: list[str]  # what happened, in order, for the human
    checklist: list[Any] = field(default_factory=list)  # sfenv.core.checklist Step
    validation_components: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.entry.result in ("deployed", "validated", "rolled_back")

    def to_dict(self) -> dict[str, Any]:
        return {
            "train": self.train, "env": self.env, "ok": self.ok, "steps": self.steps,
            "entry": self.entry.to_dict(),
            "checklist": [s.to_dict() if hasattr(s, "to_dict") else s for s in self.checklist],
            "validation_components": self.validation_components,
        }


@dataclass
class EnvState:
    env: str
    # "source" | "not yet" | "validated" | "deployed" | "failed" | "rolled back"
    state: str
    date: str = ""
    backup_tag: str = ""
    deploy_ids: list[str] = field(default_factory=list)
    hotfix: bool = False
    validated: str | None = None  # when last validated there
    deployed: str | None = None  # when last deployed there
    rolled_back: str | None = None  # when last rolled back there
    repromoted: str | None = None  # when deployed again after that rollback
    label: str = ""  # `promote.status.stage_label`: "re-promoted (2026-12-06)", "not yet" …


@dataclass
class TrainSummary:
    name: str
    created: str
    source: str
    target: str
    digest: str
    components: int
    envs: list[EnvState]
    backups: list[str]
    hotfix: bool
    open_hotfixes: list[str]  # upstream envs still lacking a hotfixed train
    checklist: dict[str, list[Any]] = field(default_factory=dict)  # next env -> Steps

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checklist"] = {env: [s.to_dict() if hasattr(s, "to_dict") else s for s in steps]
                             for env, steps in self.checklist.items()}
        return data


def overwrite_line(target: str, conflict: dict) -> str:
    """One line of the plan (and build) for a target change the train would overwrite; a
    deletion of a component the target has on its own says so."""
    who = f" by {conflict.get('by') or 'unknown'}" + (
        f" on {conflict['date']}" if conflict.get("date") else "")
    if conflict.get("change") == "removed":
        return (f"would delete {target}'s newer component {conflict['component']} (last "
                f"changed{who}; {conflict['status']}; {conflict['reason']})")
    return (f"would overwrite {target}'s change{who}: {conflict['component']} "
            f"({conflict['status']}; {conflict['reason']})")
