"""The rollback package of one promotion: from the target as it is after the deploy back to the
backup taken before it (restore changed, re-create deleted, destroy added), limited to the
train's components. Pure; the store and the org are the caller's business.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

from sfenv.core.compare.model import Change
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import Package, parse_package, write_package
from sfenv.core.metadata.registry import Registry
from sfenv.core.metadata.ziputil import read_zip, write_zip
from sfenv.services.promote.verify import same
from sfenv.services.train.inventory import Inventory
from sfenv.services.train.model import PackageFiles
from sfenv.services.train.package import assemble


def changes_between(old_tree: Mapping[str, bytes], new_tree: Mapping[str, bytes],
                    registry: Registry, ids: Iterable[ComponentId] | None = None) -> list[Change]:
    """Component changes from `old_tree` to `new_tree` by canonical piece, for `ids` (every
    component of both trees when None).

    A top-level id brings its children along (re-creating a deleted object re-creates its
    fields; destroying an added one destroys them with it).
    """
    old, new = Inventory(old_tree, registry), Inventory(new_tree, registry)
    if ids is None:
        owners = {registry.component_of(p) for p in (*old_tree, *new_tree)} - {None}
        ids = sorted(owners)  # type: ignore[arg-type]
    wanted: set[ComponentId] = set()
    for cid in ids:
        wanted.add(cid)
        if registry.parent_id(cid) == cid:
            wanted.update(old.pieces_of(cid))
            wanted.update(new.pieces_of(cid))
    changes: list[Change] = []
    for cid in sorted(wanted):
        was, now = old.piece(cid), new.piece(cid)
        if same(was, now):
            continue
        owner = registry.parent_id(cid)
        parent = owner if owner != cid else None
        kind = "added" if was is None else "removed" if now is None else "modified"
        files = new.files_of(owner) if now is not None else old.files_of(owner)
        changes.append(Change(component=cid, kind=kind, parent=parent,
                              path=files[0] if files else "",
                              old_xml=was.xml if was else None, new_xml=now.xml if now else None))
    return changes


def rollback_changes(train_ids: Iterable[ComponentId], before: Mapping[str, bytes],
                     after: Mapping[str, bytes], registry: Registry) -> list[Change]:
    """Changes taking `after` back to `before` for the train's components."""
    return changes_between(after, before, registry, train_ids)


def rollback_package(train_ids: Iterable[ComponentId], before: Mapping[str, bytes],
                     after: Mapping[str, bytes], registry: Registry,
                     api_version: str) -> tuple[PackageFiles, list[Change]]:
    changes = rollback_changes(train_ids, before, after, registry)
    pkg, _ = assemble(changes, before, registry, api_version)
    return pkg, changes


DESTRUCTIVE = ("destructiveChanges.xml", "destructiveChangesPre.xml", "destructiveChangesPost.xml")


def without_absent_deletions(data: bytes, present: Container[str],
                             registry: Registry) -> tuple[bytes, list[str]]:
    """A package (a rollback's, or a promotion's wave) without the deletions of components
    the target no longer has (deleted by hand, or by an earlier deploy of the same train).
    Salesforce fails a deploy whose destructive manifest names a missing component ("No
    ApexClass named: X found"), which made such a deploy impossible. Returns (zip, the
    deletions left out)."""
    files = read_zip(data, "the rollback package")
    dropped: list[str] = []
    for name in DESTRUCTIVE:
        if name not in files:
            continue
        manifest = parse_package(files[name], f"the rollback package's {name}", registry)
        kept = [c for c in manifest.components() if str(c) in present]
        gone = [str(c) for c in manifest.components() if str(c) not in present]
        if gone:
            dropped += gone
            files[name] = write_package(Package.of(kept, manifest.version))
    return (write_zip(files), sorted(dropped)) if dropped else (data, [])
