"""After a deploy: does the target now hold the train's components exactly as built?

Compared piece by piece (canonical XML of each component, canonical files of content and
bundle components), so an org that reorders or reformats on save does not count as a mismatch,
but a dropped field or a value Salesforce silently changed does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sfenv.core.compare.inventory import parts_of_file
from sfenv.core.metadata.components import Piece, split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.services.train.inventory import Inventory


@dataclass
class Verification:
    ok: bool
    checked: int
    mismatches: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def same(a: Piece | None, b: Piece | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.xml == b.xml and a.files == b.files


def _entries_differ(cid: ComponentId, package: Inventory, target: Inventory,
                    registry: Registry) -> list[dict[str, str]]:
    """A profile or permission set travels with only some entries: each must be in the target
    as packaged (the target keeps its other entries)."""
    def parts(inv: Inventory) -> dict[ComponentId, bytes]:
        out: dict[ComponentId, bytes] = {}
        for path in inv.files_of(cid):
            if not path.endswith("-meta.xml"):
                out.update({p.id: p.xml for p in
                            parts_of_file(path, inv.tree[path], registry, split_file)})
        return out

    have = parts(target)
    return [{"component": str(pid), "problem": "missing after the deploy" if pid not in have
             else "differs from the package"}
            for pid, xml in sorted(parts(package).items())
            if pid != cid and have.get(pid) != xml]


def verify(built: Mapping[str, bytes], deployed: Sequence[ComponentId],
           deleted: Sequence[ComponentId], after: Mapping[str, bytes],
           registry: Registry) -> Verification:
    """`built`: the package's metadata files (paths relative to the package root)."""
    package = Inventory(built, registry)
    target = Inventory(after, registry)
    mismatches: list[dict[str, str]] = []
    whole, sections = registry.deployed_whole(), registry.section_types()
    for cid in deployed:
        want, got = package.piece(cid), target.piece(cid)
        if got is None:
            mismatches.append({"component": str(cid), "problem": "missing after the deploy"})
        elif cid.type in whole:  # deployed whole: the target holds exactly the file
            if any(after.get(path) != built.get(path) for path in package.files_of(cid)):
                mismatches.append({"component": str(cid), "problem": "differs from the package"})
        elif cid.type in sections:
            mismatches += _entries_differ(cid, package, target, registry)
        elif not same(want, got):
            mismatches.append({"component": str(cid), "problem": "differs from the package"})
    for cid in deleted:
        if target.has(cid):
            mismatches.append({"component": str(cid), "problem": "still present after deletion"})
    return Verification(ok=not mismatches, checked=len(deployed) + len(deleted),
                        mismatches=mismatches)
