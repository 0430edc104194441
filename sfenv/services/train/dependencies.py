"""Does every packaged component find what it needs in the package, the target or the standard
schema? And, when asked, pull the missing ones in from the source snapshot (transitively).

A deploy that fails on a missing field after a 40-minute test run is the costliest way to learn
this; the check is cheap because only the packaged components' own XML is parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sfenv.core.compare.model import Change
from sfenv.core.metadata.components import Piece
from sfenv.core.metadata.ids import ID_ORDER, ComponentId
from sfenv.core.metadata.references import is_standard, references
from sfenv.core.metadata.registry import Registry
from sfenv.errors import DependencyError
from sfenv.services.train.inventory import Inventory
from sfenv.services.train.model import DependencyProblem


def needs(change: Change, registry: Registry) -> set[ComponentId]:
    """What a component needs to exist: its references (a field its object...), its folder."""
    piece = Piece(change.component, change.parent, change.new_xml or b"")
    found = set(references(piece, registry))
    mtype = registry.find(change.component.type)
    if mtype is not None and mtype.in_folder and mtype.folder_type and "/" in change.component.full_name:
        found.add(ComponentId(mtype.folder_type, change.component.full_name.rsplit("/", 1)[0]))
    found.discard(change.component)
    return found


def needs_of(changes: Iterable[Change], registry: Registry) -> dict[ComponentId, set[ComponentId]]:
    """What each deployed component needs (see `needs`), parsed once for the check and the waves."""
    return {c.component: needs(c, registry) for c in changes if c.kind != "removed"}


def check(changes: Sequence[Change], target: Inventory, target_name: str,
          registry: Registry, needed: Mapping[ComponentId, set[ComponentId]] | None = None
          ) -> list[DependencyProblem]:
    """Every unresolved reference of the deployed components, naming both ends (`needed`:
    `needs_of(changes)` when the caller has it already)."""
    deployed = {c.component for c in changes if c.kind != "removed"}
    deleted = {c.component for c in changes if c.kind == "removed"}
    found = needed if needed is not None else needs_of(changes, registry)
    # only the references neither deployed nor standard are sorted and looked up: a plan of
    # 60,000 profile entries sorted 60,000 one-element sets it then skipped
    wanted: dict[ComponentId, list[ComponentId]] = {}
    for cid in deployed:
        refs = [r for r in found[cid] if r not in deployed and not is_standard(r)]
        if refs:
            wanted[cid] = refs
    # the target files the lookups below parse, read in one batch rather than one by one
    target.prefetch(ref for refs in wanted.values() for ref in refs if ref not in deleted)
    problems: list[DependencyProblem] = []
    for component in sorted(wanted, key=ID_ORDER):
        for ref in sorted(wanted[component], key=ID_ORDER):
            if ref in deleted:
                problems.append(DependencyProblem(str(component), str(ref), target_name,
                                                  deleted_by_package=True))
            elif not target.has(ref):
                problems.append(DependencyProblem(str(component), str(ref), target_name))
    return problems


def _added_change(cid: ComponentId, source: Inventory, registry: Registry) -> Change | None:
    piece = source.piece(cid)
    if piece is None:
        return None
    owner = registry.parent_id(cid)
    files = source.files_of(owner)
    return Change(component=cid, kind="added", parent=owner if owner != cid else None,
                  path=files[0] if files else "", new_xml=piece.xml)


def with_dependencies(changes: Sequence[Change], source: Inventory, target: Inventory,
                      target_name: str, registry: Registry) -> tuple[list[Change], list[str]]:
    """`changes` plus the missing components they need, from the source (transitively).

    Returns the extended list and the ids pulled in; what the source lacks too stays a problem
    for `check` to report.
    """
    out = list(changes)
    pulled: list[str] = []
    while True:
        problems = [p for p in check(out, target, target_name, registry)
                    if not p.deleted_by_package]
        added = 0
        have = {c.component for c in out}
        for problem in problems:
            cid = ComponentId.parse(problem.needs)
            if cid in have:
                continue
            change = _added_change(cid, source, registry)
            if change is None:
                continue
            out.append(change)
            have.add(cid)
            pulled.append(str(cid))
            added += 1
        if not added:
            return out, pulled


def raise_for(problems: Iterable[DependencyProblem]) -> None:
    """DependencyError with every problem on one line (the first named in full)."""
    problems = list(problems)
    if not problems:
        return
    first = str(problems[0])
    more = f" (and {len(problems) - 1} more: " + "; ".join(
        f"{p.component} needs {p.needs}" for p in problems[1:6]) + ")" if len(problems) > 1 else ""
    raise DependencyError(first + more + "; use --with-dependencies to add them from the source")
