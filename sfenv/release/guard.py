"""The guard before every deploy: what a promotion would overwrite that the target changed since
the train was planned.

The reference is the target's snapshot the train was planned against (`target_commit` for the
train's own target, else the target's snapshot recorded when the train was built). A component
the train adds, changes or deletes (children included) conflicts when the target changed it
since that reference *and* the target's fresh state still differs from what the train deploys
(a re-promotion of a train already there overwrites nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sfenv.compare import diff as compare_diff
from sfenv.compare.inventory import parts_of_file
from sfenv.compare.model import Change
from sfenv.errors import MetadataError
from sfenv.metadata.components import split_file
from sfenv.metadata.registry import Registry
from sfenv.release.model import BuiltTrain

if TYPE_CHECKING:
    from sfenv.store.snapshots import SnapshotStore


@dataclass
class Conflict:
    """A component the target changed since the plan that the train would overwrite."""

    component: str
    kind: str  # how the target changed it since the plan: added | modified | removed
    changed_by: str | None = None
    changed_on: str | None = None
    elements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        who = f" by {self.changed_by or 'unknown'}" + (f" on {self.changed_on}"
                                                       if self.changed_on else "")
        what = f" ({', '.join(self.elements[:3])})" if self.elements else f" ({self.kind})"
        return f"{self.component}: changed in the target{who}{what}"


def reference_commit(built: BuiltTrain, env: str) -> str | None:
    """The target's snapshot the train was planned against, or None when none was recorded."""
    if env == built.target:
        return built.target_commit
    return built.env_commits.get(env) or None


def package_ids(src: dict[str, bytes], registry: Registry) -> set[str]:
    """Every component (and child, and permission entry) the train's files carry."""
    out: set[str] = set()
    for path, data in src.items():
        owner = registry.component_of(path)
        if owner is not None:
            out.add(str(owner))
        if path.endswith(".xml") or owner is None:
            try:
                out.update(str(p.id) for p in parts_of_file(path, data, registry, split_file))
            except MetadataError:
                continue
    return out


def conflicts(store: SnapshotStore, built: BuiltTrain, reference: str, fresh: str,
              train_changes: list[Change], src: dict[str, bytes],
              registry: Registry) -> list[Conflict]:
    """Components the target changed between `reference` and `fresh` that the train (its
    `train_changes` against `fresh`, its files `src`) would overwrite."""
    if reference == fresh:
        return []
    since = {c.component: c for c in compare_diff.diff_commits(
        store, reference, fresh, registry=registry).changes}
    if not since:
        return []
    carried = package_ids(src, registry)
    deleted = set(built.deletes)
    out = []
    for change in train_changes:
        cid, parent = str(change.component), str(change.parent) if change.parent else None
        if cid not in carried and cid not in deleted and parent not in deleted:
            continue  # a sibling the train's partial file does not carry
        hand = since.get(change.component)
        if hand is None:
            continue
        out.append(Conflict(cid, hand.kind, hand.new_by.last_modified_by if hand.kind != "removed"
                            else None,
                            hand.new_by.last_modified_date if hand.kind != "removed" else None,
                            [str(e) for e in hand.elements]))
    return out


@dataclass
class GuardOutcome:
    """What the guard found before a deploy and what the user's `--overwrite` names allow.

    `blocking` refuses the promotion; `overwritten` is recorded as overwritten by the deploy;
    `unknown_names` are `--overwrite` names that match no conflict; `notes` are lines for the
    promotion's steps."""

    found: list[Conflict] = field(default_factory=list)
    blocking: list[Conflict] = field(default_factory=list)
    overwritten: list[Conflict] = field(default_factory=list)
    unknown_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def guard_promotion(store: SnapshotStore, built: BuiltTrain, env: str, fresh: str,
                    train_changes: list[Change], src: dict[str, bytes], registry: Registry,
                    overwrite: Sequence[str] = (), overwrite_all: bool = False) -> GuardOutcome:
    """The guard of one promotion: the target's changes since the plan (`reference_commit`)
    that the train (`train_changes` against the target's fresh backup `fresh`, its files `src`)
    would overwrite, split by the user's `--overwrite` names."""
    out = GuardOutcome()
    reference = reference_commit(built, env)
    if reference is None:
        out.notes.append(f"guard: no snapshot of {env} was recorded when {built.name} was "
                         f"built; nothing to compare its fresh state with")
        return out
    out.found = conflicts(store, built, reference, fresh, train_changes, src, registry)
    out.notes.append(
        f"guard: {len(out.found)} component(s) of the train changed in {env} since the plan"
        if out.found else f"guard: no component of the train changed in {env} since the plan")
    named = {c.component for c in out.found} if overwrite_all else set(overwrite)
    out.blocking = [c for c in out.found if c.component not in named]
    out.overwritten = [c for c in out.found if c.component in named]
    out.unknown_names = sorted(set(overwrite) - {c.component for c in out.found})
    return out
