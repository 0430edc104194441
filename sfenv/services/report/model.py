"""What the HTML report shows, as plain dataclasses, and the pure builders that work out its
marks (roles added/removed/moved, OWD cells that differ from the previous environment).

`sfenv.services.report.collect.collect_report` fills `ReportData`; `sfenv.views.report` (a view) turns
it into HTML or JSON. The data lives here, not beside the HTML, so the service that collects
it never imports a view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sfenv.services.report.sfxml import Owd, RoleInfo

# "upstream": in the previous environment only, never promoted here (not a removal)
RoleMark = Literal["same", "added", "removed", "moved", "new-env", "upstream"]

DEFAULT_MAX_ROWS_PER_HOP = 200
DEFAULT_MAX_ELEMENTS_PER_ROW = 12
DEFAULT_MAX_AUDIT_ROWS = 3


# ---------------------------------------------------------------- data model


@dataclass
class EnvSummary:
    """One environment on the path, as of its latest snapshot (commit None: never pulled)."""

    name: str
    stage: int
    production: bool = False
    owner: str = ""
    purpose: str = ""
    commit: str | None = None
    snapshot_time: str | None = None
    component_count: int | None = None

    @property
    def short(self) -> str | None:
        return self.commit[:10] if self.commit else None


@dataclass
class AuditRow:
    """A SetupAuditTrail row that likely explains a change (Salesforce's own wording)."""

    date: str
    by: str
    action: str = ""
    section: str = ""
    display: str = ""


@dataclass
class Side:
    """Who last changed a component in one environment, and when."""

    env: str
    by: str | None = None
    date: str | None = None


@dataclass
class ChangeRow:
    """One differing component on a hop."""

    component: str  # "Type:FullName"
    type: str
    name: str
    status: str  # pending | drift | conflict
    kind: str  # added | removed | modified (as promoting would do it)
    elements: list[str] = field(default_factory=list)  # "length 80 → 255"
    elements_more: int = 0
    changed_in: list[Side] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)
    outside_release: bool = False  # changed directly in production
    reason: str = ""  # why this status, in the comparison's words
    trains: list[str] = field(default_factory=list)  # built trains that carry this pending row


@dataclass
class TypeGroup:
    type: str
    rows: list[ChangeRow]


@dataclass
class HopSection:
    """A→B: the counts, and the differing components grouped by type (capped)."""

    source: str
    target: str
    target_is_production: bool = False
    three_way: bool = False  # a base (last sync/promotion) was known
    mode: str = ""  # "three-way" | "two-way" | "no-snapshot"
    note: str = ""  # e.g. "no snapshot of qa yet: run `sfenv pull qa`"
    accepted_differences: int = 0  # accepted with `sfenv sync-point`: not listed as pending/drift
    counts: dict[str, int] = field(
        default_factory=lambda: {"pending": 0, "drift": 0, "conflict": 0})
    groups: list[TypeGroup] = field(default_factory=list)
    more: int = 0  # rows not shown because of the cap

    @property
    def anchor(self) -> str:
        return f"hop-{slug(self.source)}-{slug(self.target)}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class RoleNode:
    name: str
    label: str
    mark: RoleMark = "same"
    previous_parent: str | None = None  # for "moved": the parent in the previous environment
    previous_parent_label: str | None = None
    children: list[RoleNode] = field(default_factory=list)


@dataclass
class RoleTree:
    """One environment's role hierarchy, marked against the previous environment on the path."""

    env: str
    compared_to: str | None
    roots: list[RoleNode]
    count: int
    added: int = 0
    removed: int = 0
    moved: int = 0
    available: bool = True  # False: no snapshot of this environment
    upstream: int = 0  # roles of the previous environment not promoted here yet


@dataclass
class OwdCell:
    internal: str | None
    external: str | None
    present: bool = True
    differs: bool = False  # differs from the previous environment's cell
    internal_differs: bool = False
    external_differs: bool = False


@dataclass
class OwdRow:
    object: str
    cells: list[OwdCell]  # aligned with OwdTable.envs

    @property
    def differs(self) -> bool:
        return any(c.differs for c in self.cells)


@dataclass
class OwdTable:
    envs: list[str]
    rows: list[OwdRow]

    @property
    def differing(self) -> int:
        return sum(1 for r in self.rows if r.differs)


@dataclass
class StageState:
    """Where a release train stands in one environment."""

    env: str
    validated: str | None = None
    deployed: str | None = None
    status: str = ""  # "validated" | "deployed" | "failed" | "rolled back" | "" (not yet)
    date: str | None = None  # when it reached `status`
    backup_tag: str = ""  # the backup taken before promoting here
    hotfix: bool = False
    # the release layer's one wording of the state ("rolled back (2026-12-01)", "re-promoted
    # (…)": `sfenv.services.promote.status.stage_label`, EnvState.label); "" from older records
    label: str = ""


@dataclass
class ChecklistItem:
    title: str
    phase: str = ""  # before | after
    done: bool = False
    severity: str = ""
    owner: str = ""
    id: str = ""
    env: str = ""  # the environment the step is for ("" when not per environment)
    done_by: str = ""
    done_at: str = ""
    frozen: bool = False  # from the checklist frozen at the promotion (else computed live)


@dataclass
class TrainComponent:
    """One component a train carries, and who last changed it where the train was built."""

    component: str
    kind: str  # added | changed | deleted | manual
    by: str | None = None
    date: str | None = None


@dataclass
class TrainSummary:
    name: str
    built: str | None = None
    source: str = ""  # the environment it was built from (no checklist there or upstream)
    digest: str = ""
    components: int | None = None
    hotfix: bool = False
    open_hotfixes: list[str] = field(default_factory=list)  # upstream envs still lacking it
    stages: list[StageState] = field(default_factory=list)
    checklist: list[ChecklistItem] = field(default_factory=list)
    component_list: list[TrainComponent] = field(default_factory=list)

    @property
    def open_steps(self) -> int:
        return sum(1 for s in self.checklist if not s.done)

    def kind_count(self, kind: str) -> int:
        return sum(1 for c in self.component_list if c.kind == kind)


@dataclass
class BackupTag:
    env: str
    tag: str
    commit: str | None = None
    date: str | None = None
    named: bool = False  # given with `backup --tag NAME`


@dataclass
class RecordEntry:
    """One entry of an environment's change record (`sfenv changelog ENV`), as the report
    shows it: what, when, who, and a few detail lines."""

    when: str
    kind: str  # promotion | hotfix | rollback | attempt | drift | refresh | first snapshot
    title: str
    who: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class ChangeRecord:
    env: str
    entries: list[RecordEntry] = field(default_factory=list)
    more: int = 0  # older entries not shown


@dataclass
class ReportData:
    project: str
    generated: str
    path: list[EnvSummary]
    hops: list[HopSection] = field(default_factory=list)
    role_trees: list[RoleTree] = field(default_factory=list)
    owd: OwdTable = field(default_factory=lambda: OwdTable(envs=[], rows=[]))
    trains: list[TrainSummary] = field(default_factory=list)
    backups: list[BackupTag] = field(default_factory=list)
    records: list[ChangeRecord] = field(default_factory=list)  # production change records
    notices: list[str] = field(default_factory=list)  # what could not be shown, and why
    reproduce: str = "sfenv report --out report.html"
    # `sfenv adoption`'s section (an HTML fragment that escapes its own text), "" when no run
    adoption_html: str = ""


# ---------------------------------------------------------------- builders (pure)


def build_role_trees(envs: Sequence[tuple[str, Mapping[str, RoleInfo] | None]],
                     deleted: Mapping[str, set[str]] | None = None) -> list[RoleTree]:
    """Role trees in path order, each marked against the previous environment that has roles.

    `None` roles: the environment has no snapshot. A role is "moved" when its parent differs
    from the previous environment's. A role of the previous environment missing here is
    "removed" only when a train deployed here deleted it (`deleted`: env -> role names);
    otherwise it was never promoted here ("upstream"), which is no removal. Both are kept as
    ghost nodes under their old parent (or at the top when that parent is gone too), so a
    reader sees where they were. Cycles and missing parents never loop: unreachable roles are
    shown at the top.
    """
    deleted = deleted or {}
    trees: list[RoleTree] = []
    prev_name: str | None = None
    prev: Mapping[str, RoleInfo] | None = None
    for env, roles in envs:
        if roles is None:
            trees.append(RoleTree(env=env, compared_to=None, roots=[], count=0, available=False))
            continue
        marks: dict[str, RoleMark] = {}
        moved_from: dict[str, str | None] = {}
        ghosts: dict[str, RoleInfo] = {}
        if prev is not None:
            for name, role in roles.items():
                if name not in prev:
                    marks[name] = "added"
                elif prev[name].parent != role.parent:
                    marks[name] = "moved"
                    moved_from[name] = prev[name].parent
            for name, role in prev.items():
                if name not in roles:
                    ghosts[name] = role
        tree = RoleTree(env=env, compared_to=prev_name, roots=[], count=len(roles))
        tree.added = sum(1 for m in marks.values() if m == "added")
        tree.moved = sum(1 for m in marks.values() if m == "moved")
        gone = deleted.get(env, set())
        for name in ghosts:
            marks[name] = "removed" if name in gone else "upstream"
        tree.removed = sum(1 for n in ghosts if marks[n] == "removed")
        tree.upstream = len(ghosts) - tree.removed
        labels = {n: r.label for n, r in (prev or {}).items()}
        tree.roots = _assemble(roles, ghosts, marks, moved_from, labels)
        trees.append(tree)
        prev_name, prev = env, roles
    return trees


def _assemble(roles: Mapping[str, RoleInfo], ghosts: Mapping[str, RoleInfo],
              marks: Mapping[str, RoleMark], moved_from: Mapping[str, str | None],
              labels: Mapping[str, str]) -> list[RoleNode]:
    everything: dict[str, RoleInfo] = {**ghosts, **roles}
    nodes = {
        name: RoleNode(
            name=name, label=info.label,
            mark=marks.get(name, "same"),
            previous_parent=moved_from.get(name),
            previous_parent_label=labels.get(moved_from.get(name) or ""),
        )
        for name, info in everything.items()
    }
    children: dict[str | None, list[str]] = {}
    for name, info in everything.items():
        parent = info.parent if info.parent in everything and info.parent != name else None
        children.setdefault(parent, []).append(name)
    for kids in children.values():
        kids.sort(key=lambda n: (everything[n].label.casefold(), n))
    placed: set[str] = set()

    def attach(top: list[str], into: list[RoleNode]) -> None:
        stack: list[tuple[str, list[RoleNode]]] = [(n, into) for n in reversed(top)]
        while stack:
            name, target = stack.pop()
            if name in placed:
                continue
            placed.add(name)
            node = nodes[name]
            target.append(node)
            stack.extend((k, node.children) for k in reversed(children.get(name, [])))

    roots: list[RoleNode] = []
    attach(children.get(None, []), roots)
    # Whatever is left sits on a cycle (A's parent is B, B's parent is A): show it at the top.
    for name in sorted(everything, key=lambda n: (everything[n].label.casefold(), n)):
        if name not in placed:
            attach([name], roots)
    return roots


def build_owd_table(envs: Sequence[tuple[str, Mapping[str, Owd] | None]]) -> OwdTable:
    """One row per object seen anywhere, one cell per environment (path order).

    A cell differs when the previous environment with data has a different internal or
    external default, or has the object while this one does not (or the reverse).
    """
    names = sorted({obj for _, owds in envs if owds for obj in owds}, key=str.casefold)
    rows: list[OwdRow] = []
    for obj in names:
        cells: list[OwdCell] = []
        prev: Owd | None = None
        prev_known = False
        for _, owds in envs:
            if owds is None:
                cells.append(OwdCell(internal=None, external=None, present=False))
                continue
            cur = owds.get(obj)
            cell = OwdCell(internal=cur.internal if cur else None,
                           external=cur.external if cur else None, present=cur is not None)
            if prev_known:
                if (prev is None) != (cur is None):
                    cell.differs = True
                elif prev is not None and cur is not None:
                    cell.internal_differs = prev.internal != cur.internal
                    cell.external_differs = prev.external != cur.external
                    cell.differs = cell.internal_differs or cell.external_differs
            prev, prev_known = cur, True
            cells.append(cell)
        rows.append(OwdRow(object=obj, cells=cells))
    return OwdTable(envs=[env for env, _ in envs], rows=rows)


def slug(text: str) -> str:
    """An HTML anchor made of the text's letters and digits (the report links hops by it)."""
    out = "".join(ch if ch.isalnum() else "-" for ch in str(text).lower())
    return "-".join(p for p in out.split("-") if p) or "x"
