"""The guard's vocabulary: a `Conflict` (a component the target changed itself that the train
would overwrite), the parts a train's files carry (children and permission entries read from
every XML-strategy file, not only `.xml` paths), the containers it replaces whole, and which
of the train's changes the deploy really makes (`affected`). Used by `guard`, the re-check
before the deploy and the rollback's guard."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sfenv.core.compare.inventory import parts_of_file
from sfenv.core.compare.model import Change
from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.errors import MetadataError
from sfenv.services.train.model import BuiltTrain


@dataclass
class Conflict:
    """A component the target changed itself that the train would overwrite."""

    component: str
    kind: str  # how the target changed it: added | modified | removed | drift | conflict
    changed_by: str | None = None
    changed_on: str | None = None
    elements: list[str] = field(default_factory=list)
    reason: str = ""  # how it was found (after the build, drift at the plan, no base...)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        who = f" by {self.changed_by or 'unknown'}" + (f" on {self.changed_on}"
                                                       if self.changed_on else "")
        what = f" ({', '.join(self.elements[:3])})" if self.elements else f" ({self.kind})"
        return f"{self.component}: changed in the target{who}{what}" + (
            f"; {self.reason}" if self.reason else "")


NAME_EACH = "name each with --overwrite TYPE:NAME, or --overwrite-all"


def guard_lines(env: str, blocking: Sequence[Conflict],
                overwritten: Sequence[Conflict]) -> list[str]:
    """The lines a guard adds to a promotion's or a rollback's steps (the same words for
    both): each conflict that refuses it, or else each change of `env` it overwrites by
    name."""
    if blocking:
        return [f"conflict: {c}" for c in blocking]
    return [f"overwriting {env}'s change (--overwrite): {c}" for c in overwritten]


def unknown_names_line(names: Sequence[str]) -> str:
    return "--overwrite names no conflict: " + ", ".join(names)


def reference_commit(built: BuiltTrain, env: str) -> str | None:
    """The target's snapshot the train was planned against, or None when none was recorded."""
    if env == built.target:
        return built.target_commit
    return built.env_commits.get(env) or None


def is_xml_file(path: str, owner: ComponentId | None, registry: Registry) -> bool:
    """Whether a file's parts (children, permission entries) can be compared: every `.xml`
    file and every file of an XML-strategy type (`objects/X.object`, `X.permissionset`,
    `X.profile`, `X.workflow`, `CustomLabels.labels`, `X.translation`...)."""
    if owner is None or path.endswith(".xml"):
        return True
    mtype = registry.find(owner.type)
    return mtype is not None and mtype.handler.compares_elements


def package_ids(src: dict[str, bytes], registry: Registry) -> set[str]:
    """Every component (and child, and permission entry) the train's files carry."""
    out: set[str] = set()
    for path, data in src.items():
        owner = registry.component_of(path)
        if owner is not None:
            out.add(str(owner))
        if is_xml_file(path, owner, registry):
            try:
                out.update(str(p.id) for p in parts_of_file(path, data, registry, split_file))
            except MetadataError:
                continue
    return out


def whole_containers(src: dict[str, bytes], registry: Registry) -> set[str]:
    """The carried components a deploy replaces whole (permission sets): every entry the
    target has that the file lacks is removed by the deploy."""
    whole = registry.deployed_whole()
    return {str(owner) for path in src
            if (owner := registry.component_of(path)) is not None and owner.type in whole}


def affected(train_changes: Iterable[Change], built: BuiltTrain, src: dict[str, bytes],
             registry: Registry) -> list[Change]:
    """The train's changes the deploy really makes: parts its files carry, what it deletes,
    and entries of a container it replaces whole (a permission entry added by hand)."""
    carried = package_ids(src, registry)
    whole = whole_containers(src, registry)
    deleted = set(built.deletes)
    out = []
    for change in train_changes:
        cid = str(change.component)
        parent = str(change.parent) if change.parent else None
        if cid in carried or cid in deleted or (parent is not None
                                                and (parent in deleted or parent in whole)):
            out.append(change)
    return out


def hand_conflict(change: Change, reason: str) -> Conflict:
    """A conflict from the target's own change (a diff from a reference to the fresh state)."""
    gone = change.kind == "removed"
    by = change.old_by if gone else change.new_by
    return Conflict(str(change.component), change.kind, by.last_modified_by,
                    by.last_modified_date, [str(e) for e in change.elements], reason)
