"""Profiles: filter to retrieved components, merge the pieces of a chunked retrieve.

Why: Salesforce returns a Profile holding only the permissions for components that were in
the same retrieve (plus the profile's own settings: user permissions, login IP ranges, license).
sfenv sends profiles along with their related types, chunk by chunk, and merges the parts;
the local org uses `filter_profile` to answer a retrieve the way Salesforce does.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from sfenv.metadata.ids import ComponentId
from sfenv.metadata.registry import default_registry
from sfenv.metadata.xmlio import (
    NS,
    canonical_text,
    local_name,
    parse_xml,
    sort_unordered,
    write_xml,
)

# element -> (key element naming the component, the component's type)
PROFILE_SECTIONS: dict[str, tuple[str, str]] = {
    "applicationVisibilities": ("application", "CustomApplication"),
    "categoryGroupVisibilities": ("dataCategoryGroup", "DataCategoryGroup"),
    "classAccesses": ("apexClass", "ApexClass"),
    "customMetadataTypeAccesses": ("name", "CustomObject"),
    "customPermissions": ("name", "CustomPermission"),
    "customSettingAccesses": ("name", "CustomObject"),
    "externalDataSourceAccesses": ("externalDataSource", "ExternalDataSource"),
    "fieldPermissions": ("field", "CustomField"),
    "flowAccesses": ("flow", "Flow"),
    "layoutAssignments": ("layout", "Layout"),
    "objectPermissions": ("object", "CustomObject"),
    "pageAccesses": ("apexPage", "ApexPage"),
    "recordTypeVisibilities": ("recordType", "RecordType"),
    "servicePresenceStatusAccesses": ("servicePresenceStatus", "ServicePresenceStatus"),
    "tabSettings": ("tab", "CustomTab"),  # PermissionSet's name for tab visibilities
    "tabVisibilities": ("tab", "CustomTab"),
}

# Types whose presence in a retrieve decides what a Profile holds: send profiles with these.
# Deploying one of these replaces the org's whole component (API 40+: "when you deploy a
# permission set, you must include all of its metadata to avoid accidentally overwriting the
# permission set's contents"), so packages carry them whole. Profile deploys are additive.
DEPLOYED_WHOLE: frozenset[str] = frozenset({"PermissionSet", "MutingPermissionSet"})

PROFILE_RELATED_TYPES: tuple[str, ...] = tuple(sorted({t for _, t in PROFILE_SECTIONS.values()}))

_OBJECT_CHILD_TYPES = {"CustomField", "RecordType"}
# Sections where one key may appear several times: these elements complete the identity.
_IDENTITY_EXTRA = {"layoutAssignments": ("recordType",), "loginIpRanges": ("endAddress",)}


def section_component(element: str, key: str) -> ComponentId | None:
    """The component a profile section entry grants access to, e.g.
    ("fieldPermissions", "Account.Region__c") -> CustomField:Account.Region__c."""
    spec = PROFILE_SECTIONS.get(element)
    if spec is None or not key:
        return None
    return ComponentId(spec[1], key)


def _owners(cid: ComponentId) -> list[ComponentId]:
    """The retrieved components that make Salesforce include an entry for `cid`."""
    owners = [cid, ComponentId(cid.type, "*")]
    if cid.type in _OBJECT_CHILD_TYPES and "." in cid.full_name:
        obj = cid.full_name.split(".", 1)[0]
        owners += [ComponentId("CustomObject", obj), ComponentId("CustomObject", "*")]
    if cid.type == "CustomTab" and cid.full_name.startswith("standard-"):
        owners.append(ComponentId("CustomObject", cid.full_name.removeprefix("standard-")))
    return owners


def _entry(el: etree._Element) -> ComponentId | None:
    name = local_name(el)
    spec = PROFILE_SECTIONS.get(name)
    if spec is None:
        return None
    return section_component(name, el.findtext(f"{{{NS}}}{spec[0]}") or el.findtext(spec[0]) or "")


def section_entries(root: etree._Element) -> Iterable[tuple[etree._Element, ComponentId]]:
    """(element, component it names) for every section entry of a parsed profile/permission set."""
    for el in root:
        cid = _entry(el)
        if cid is not None:
            yield el, cid


def filter_profile(data: bytes, retrieved: set[ComponentId], source: str = "profile") -> bytes:
    """The profile as Salesforce returns it when retrieved with `retrieved`: section entries only
    for retrieved components (a field also when its whole object was retrieved; `Type:*`
    wildcards count), plus all of the profile's own settings. Canonical bytes."""
    root = parse_xml(data, source)
    for el, cid in list(section_entries(root)):
        if not any(owner in retrieved for owner in _owners(cid)):
            root.remove(el)
    sort_unordered(root, default_registry().get("Profile"))
    return write_xml(root)


def merge_profiles(parts: list[bytes], source: str = "profile") -> bytes:
    """One profile from the parts of a chunked retrieve: the union of their entries (the first
    part wins when two disagree on one entry), elements in Salesforce's order, canonical."""
    if not parts:
        raise ValueError("merge_profiles needs at least one part")
    ptype = default_registry().get("Profile")
    roots = [parse_xml(p, f"{source} (part {i + 1})") for i, p in enumerate(parts)]
    merged = etree.Element(roots[0].tag, nsmap=roots[0].nsmap)
    seen: set[tuple[str, str]] = set()
    kept: list[etree._Element] = []
    for root in roots:
        for el in root:
            if not isinstance(el.tag, str):
                continue
            name = local_name(el)
            key_el = ptype.sort_key_of(name)
            if key_el:
                parts = [el.findtext(f"{{{NS}}}{e}") or "" for e in (key_el, *_IDENTITY_EXTRA.get(name, ()))]
                identity = (name, "\n".join(parts))
            elif name in ptype.unordered:
                identity = (name, canonical_text(el))
            else:
                identity = (name, "")
            if identity in seen:
                continue
            seen.add(identity)
            kept.append(el)
    for el in sorted(kept, key=local_name):  # stable: Salesforce writes elements by name
        merged.append(el)
    sort_unordered(merged, ptype)
    return write_xml(merged)
