"""What a comparison produces: changes of components, with element-level detail.

These dataclasses are the contract between compare, release, checklist and render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sfenv.core.metadata.ids import ComponentId


@dataclass(frozen=True)
class TreeChange:
    """One file that differs between two trees; a side's blob is None where the file is absent.
    (What the store's `changed` answers: defined here, below the store, so comparing needs no
    import of the store.)"""

    path: str
    old_blob: str | None
    new_blob: str | None

ChangeKind = Literal["added", "removed", "modified"]
ElementKind = Literal["changed", "added", "removed"]
PathClass = Literal["pending", "drift", "conflict"]


@dataclass(frozen=True)
class ElementChange:
    """One element-level difference, e.g. path "length", old "80", new "255"."""

    path: str
    kind: ElementKind
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"{self.path}: added" if _structured(self.new) else f"{self.path}: + {self.new}"
        if self.kind == "removed":
            return f"{self.path}: removed" if _structured(self.old) else f"{self.path}: - {self.old}"
        if self.old is None and self.new is None:
            return f"{self.path}: changed"
        return f"{self.path} {_short(self.old)} → {_short(self.new)}"


def _structured(value: Any) -> bool:
    return value is None or value is True or isinstance(value, dict | list)


def _short(value: Any) -> str:
    if isinstance(value, dict | list):
        return "{…}" if isinstance(value, dict) else "[…]"
    text = "''" if value == "" else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Attribution:
    """Who last changed a component on one side, and when (from the snapshot's index)."""

    last_modified_by: str | None = None
    last_modified_date: str | None = None


@dataclass
class Change:
    """A component added, removed or modified going from side A (old) to side B (new).

    `old_xml` / `new_xml` are the component's canonical XML (a child component's own element,
    or a whole file for a top-level component); `None` on the side where it does not exist.
    For bundles and binary content they hold the file bytes concatenated in path order.
    """

    component: ComponentId
    kind: ChangeKind
    parent: ComponentId | None = None
    path: str = ""  # file path in the snapshot (the parent's file for child components)
    elements: list[ElementChange] = field(default_factory=list)
    old_xml: bytes | None = None
    new_xml: bytes | None = None
    old_by: Attribution = field(default_factory=Attribution)
    new_by: Attribution = field(default_factory=Attribution)


@dataclass
class Diff:
    """The changes from snapshot `a` to snapshot `b`."""

    a: str
    b: str
    a_commit: str
    b_commit: str
    changes: list[Change]
    blobs_read: int = 0  # how many blobs were read to compute it (only differing ones)
    files_changed: int = 0  # files that differ between the two trees (git tree diff)


@dataclass
class PathEntry:
    """One component's status on a hop A→B of the promotion path."""

    status: PathClass
    change: Change  # the change A→B (what promoting would do)
    source_change: Change | None = None  # base→A, when a base exists
    target_change: Change | None = None  # base→B, when a base exists
    reason: str = ""  # why this status (three-way: which side changed; two-way: dates)
    outside_release: bool = False  # a production target changed outside the release process
    # SetupAuditTrail rows naming the component
    audit: list[dict[str, Any]] = field(default_factory=list)
    # A difference that already existed at the base and is unchanged on both sides since: the
    # `when` of the first sync point it was recorded at (shown "since before <date>").
    since_before: str | None = None
    # Who last changed it on each side, as recorded at the base (carried entries); else the
    # current change's new_by (source) / old_by (target) apply.
    source_by: Attribution | None = None
    target_by: Attribution | None = None
    # Accepted by a human's `sfenv sync-point`: {"when", "by", "reason"}; such entries are kept
    # in HopStatus.accepted, never in entries. `status` is then the class it had when accepted.
    accepted: dict[str, Any] | None = None


@dataclass
class HopStatus:
    source: str
    target: str
    base: tuple[str, str] | None  # (commit of A, commit of B) at the last sync/promotion
    entries: list[PathEntry]
    target_is_production: bool = False
    source_commit: str | None = None  # latest snapshots compared
    target_commit: str | None = None
    mode: str = "two-way"  # "three-way" (a base exists) | "two-way" | "no-snapshot"
    # differences already present at the base and unchanged since: listed in `entries` with
    # `since_before` (their recorded class), or in `accepted`
    known_differences: int = 0
    note: str = ""  # e.g. "no snapshot of qa yet: run `sfenv pull qa`"
    accepted: list[PathEntry] = field(default_factory=list)  # accepted by a manual sync point
    base_info: dict[str, Any] | None = None  # the sync point record: {when, by, reason, ...}

    def of(self, status: PathClass) -> list[PathEntry]:
        return [e for e in self.entries if e.status == status]
