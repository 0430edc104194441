"""Cross-component checks a deploy must pass, as Salesforce makes them (all-or-nothing).

Each check reads the org as it would be after the deploy (`after`: an Inventory over the
merged file set) and reports `Failure`s with Salesforce's wording. What a component names is
read by `sfenv.core.metadata.references` (one reading for release dependencies and for the local
org); the table `CHECKED` says which of those names a deploy or a deletion is checked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sfenv.core.metadata.components import Piece
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.references import Reference, is_standard, named_references
from sfenv.errors import MetadataError
from sfenv.localorg.state.inventory import Inventory


@dataclass(frozen=True)
class Failure:
    """One componentFailures entry."""

    component: ComponentId
    file_name: str
    problem: str
    problem_type: str = "Error"
    line: int | None = None
    column: int | None = None


# What a deploy is checked for, as Salesforce checks it: per deployed type, the elements whose
# named components must exist once the deploy is applied, and the types they may name
# (Salesforce: "In field: <element> - no <Type> named <name> found"). What an element names
# comes from `sfenv.core.metadata.references`, the same reading release dependencies use.
CHECKED: dict[str, dict[str, tuple[str, ...]]] = {
    "Role": {"parentRole": ("Role",)},
    "Layout": {"field": ("CustomField",)},
    "SharingRules": {"sharedTo": ("Role", "Group", "Queue"),
                     "sharedFrom": ("Role", "Group", "Queue")},
}


# What a profile or permission set entry may grant that a deploy checks exists: Salesforce
# rejects the whole deploy ("In field: apexClass - no ApexClass named X found"), it never
# skips the entry. Standard objects and fields always exist.
GRANTS_CHECKED = ("ApexClass", "ApexPage", "CustomPermission", "CustomField", "CustomObject")


def _grants(after: Inventory, cid: ComponentId) -> Iterator[tuple[str, ComponentId]]:
    """(key element, granted component) of every checked entry of a deployed profile or
    permission set."""
    mtype = after.registry.find(cid.type)
    if mtype is None or not mtype.sections:
        return
    for piece in after.pieces(cid)[:1]:
        try:
            found = named_references(piece)
        except MetadataError:
            continue
        for ref in found:
            section = mtype.section(ref.element) if ref.element else None
            if (section is not None and section.grants == ref.component.type
                    and ref.component.type in GRANTS_CHECKED
                    and not is_standard(ref.component)):
                yield section.keys[0], ref.component


def _names(after: Inventory, type_name: str) -> set[str]:
    return {c.full_name for c in after.of_type(type_name)}


def _exists(after: Inventory, cid: ComponentId) -> bool:
    if cid.type != "CustomField":
        return cid.full_name in _names(after, cid.type)
    if not cid.full_name.endswith("__c"):
        return True  # standard fields always exist
    return after.find_child(cid) is not None


def _checked(after: Inventory, cid: ComponentId) -> Iterator[tuple[Piece, Reference]]:
    """(piece, reference) for every reference of `cid` (or of its children) that a deploy
    check looks at."""
    elements = CHECKED.get(cid.type, {})
    if not elements:
        return
    for piece in after.pieces(cid):
        try:
            found = named_references(piece)
        except MetadataError:  # unreadable XML: the deploy reports it elsewhere
            continue
        for ref in found:
            if ref.component.type in elements.get(ref.element, ()):
                yield piece, ref


def check_deployed(after: Inventory, deployed: Iterable[ComponentId]) -> list[Failure]:
    """Every reference the checked types make to a component missing after the deploy."""
    failures: list[Failure] = []
    names: dict[str, set[str]] = {}
    for cid in sorted(set(deployed)):
        for _piece, ref in _checked(after, cid):
            if not _exists(after, ref.component):
                failures.append(Failure(
                    cid, after.main_file(cid),
                    f"In field: {ref.element} - no {ref.component.type} named "
                    f"{ref.component.full_name} found"))
        for key, granted in _grants(after, cid):
            if granted.type == "CustomField":
                missing = not _exists(after, granted)
            else:  # one name set per type: a permission set grants hundreds of classes
                if granted.type not in names:
                    names[granted.type] = _names(after, granted.type)
                missing = granted.full_name not in names[granted.type]
            if missing:
                failures.append(Failure(
                    cid, after.main_file(cid),
                    f"In field: {key} - no {granted.type} named {granted.full_name} found"))
    return failures


# --- checks on deletions -------------------------------------------------------------------

UNDELETABLE = {"RecordType": "Cannot delete record type through API"}


def check_deletion(after: Inventory, cid: ComponentId, file_name: str) -> list[Failure]:
    """Refusals for a destructive change: record types, and components still referenced by
    what remains (roles with child roles, fields on layouts, roles/groups in sharing rules)."""
    if cid.type in UNDELETABLE:
        return [Failure(cid, file_name, UNDELETABLE[cid.type])]
    users = list(_referrers(after, cid))
    if users:
        where = ", ".join(f"{t} - {n}" for t, n in users[:3])
        return [Failure(cid, file_name,
                        f"This {_label(cid.type)} is referenced elsewhere in salesforce.com. : {where}")]
    return []


def _label(type_name: str) -> str:
    return {"CustomField": "custom field", "Role": "role", "Group": "group"}.get(type_name, type_name)


_REFERRER_LABEL = {"Role": "Role", "Layout": "Layout", "SharingRules": "Sharing Rule"}


def _referrers(after: Inventory, cid: ComponentId) -> Iterable[tuple[str, str]]:
    """(label, name) of the checked components that still name `cid` (Salesforce refuses to
    delete it): child roles, layouts of its object, sharing rules."""
    obj = cid.full_name.partition(".")[0]
    for kind, elements in CHECKED.items():
        if not any(cid.type in types for types in elements.values()):
            continue
        for other in after.of_type(kind):
            if kind == "Layout" and other.full_name.split("-", 1)[0] != obj:
                continue  # a layout names only its own object's fields
            named: dict[str, None] = {}
            for piece, ref in _checked(after, other):
                if ref.component == cid:
                    named.setdefault(piece.id.full_name, None)
            for name in named:
                yield _REFERRER_LABEL.get(kind, kind), name
