"""Cross-component checks a deploy must pass, as Salesforce makes them (all-or-nothing).

Each check reads the org as it would be after the deploy (`after`: an Inventory over the
merged file set) and reports `Failure`s with Salesforce's wording. The checks are small named
functions in one table, keyed by the type they inspect, so adding one touches no other code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from sfenv.errors import MetadataError
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.references import SHARED_TO
from sfenv.metadata.xmlio import local_name, parse_xml

from .md_inventory import Inventory


@dataclass(frozen=True)
class Failure:
    """One componentFailures entry."""

    component: ComponentId
    file_name: str
    problem: str
    problem_type: str = "Error"
    line: int | None = None
    column: int | None = None


def _values(root: etree._Element, path: Iterable[str]) -> list[str]:
    """Texts at a local-name path below root (namespace-blind)."""
    nodes = [root]
    for step in path:
        nodes = [c for n in nodes for c in n if local_name(c) == step]
    return [(n.text or "").strip() for n in nodes if (n.text or "").strip()]


def _root(after: Inventory, cid: ComponentId) -> etree._Element | None:
    paths = after.by_component.get(cid)
    if not paths:
        return None
    try:
        path = after.main_file(cid)
        return parse_xml(after.read(path), path)
    except (MetadataError, OSError, KeyError):  # unreadable: other checks report it
        return None


def _names(after: Inventory, type_name: str) -> set[str]:
    return {c.full_name for c in after.of_type(type_name)}


def _field_exists(after: Inventory, obj: str, field: str) -> bool:
    if not field.endswith("__c"):
        return True  # standard fields always exist
    return after.find_child(ComponentId("CustomField", f"{obj}.{field}")) is not None


# --- checks on components being deployed -------------------------------------------------


def check_role(after: Inventory, cid: ComponentId) -> list[Failure]:
    root = _root(after, cid)
    if root is None:
        return []
    roles = _names(after, "Role")
    return [
        Failure(cid, after.main_file(cid), f"In field: parentRole - no Role named {parent} found")
        for parent in _values(root, ["parentRole"]) if parent not in roles
    ]


def check_layout(after: Inventory, cid: ComponentId) -> list[Failure]:
    root = _root(after, cid)
    if root is None:
        return []
    obj = cid.full_name.split("-", 1)[0]
    path = ["layoutSections", "layoutColumns", "layoutItems", "field"]
    return [
        Failure(cid, after.main_file(cid),
                f"In field: field - no CustomField named {obj}.{field} found")
        for field in _values(root, path) if not _field_exists(after, obj, field)
    ]


def check_sharing_rules(after: Inventory, cid: ComponentId) -> list[Failure]:
    root = _root(after, cid)
    if root is None:
        return []
    failures = []
    for rule in root:
        if not local_name(rule).startswith("sharing"):
            continue
        for target in ("sharedTo", "sharedFrom"):
            for holder in (c for c in rule if local_name(c) == target):
                for ref in holder:
                    kind = SHARED_TO.get(local_name(ref))
                    name = (ref.text or "").strip()
                    if kind and name and name not in _names(after, kind):
                        failures.append(Failure(
                            cid, after.main_file(cid),
                            f"In field: {target} - no {kind} named {name} found"))
    return failures


CHECKS: dict[str, Callable[[Inventory, ComponentId], list[Failure]]] = {
    "Role": check_role,
    "Layout": check_layout,
    "SharingRules": check_sharing_rules,
}


def check_deployed(after: Inventory, deployed: Iterable[ComponentId]) -> list[Failure]:
    """Run the table's checks over the top-level components a deploy writes."""
    failures: list[Failure] = []
    for cid in sorted(set(deployed)):
        check = CHECKS.get(cid.type)
        if check is not None:
            failures.extend(check(after, cid))
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


def _referrers(after: Inventory, cid: ComponentId) -> Iterable[tuple[str, str]]:
    if cid.type == "Role":
        for other in after.of_type("Role"):
            root = _root(after, other)
            if root is not None and cid.full_name in _values(root, ["parentRole"]):
                yield "Role", other.full_name
    if cid.type == "CustomField":
        obj, _, field = cid.full_name.partition(".")
        for layout in after.of_type("Layout"):
            if layout.full_name.split("-", 1)[0] != obj:
                continue
            root = _root(after, layout)
            path = ["layoutSections", "layoutColumns", "layoutItems", "field"]
            if root is not None and field in _values(root, path):
                yield "Layout", layout.full_name
    if cid.type in ("Role", "Group", "Queue"):
        for rules in after.of_type("SharingRules"):
            root = _root(after, rules)
            if root is None:
                continue
            for rule in root:
                refs = [(SHARED_TO.get(local_name(r)), (r.text or "").strip())
                        for holder in rule if local_name(holder) in ("sharedTo", "sharedFrom")
                        for r in holder]
                if (cid.type, cid.full_name) in refs:
                    name = next((v for v in _values(rule, ["fullName"])), rules.full_name)
                    yield "Sharing Rule", f"{rules.full_name}.{name}"
