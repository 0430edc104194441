"""Profiles: filter to retrieved components, merge the pieces of a chunked retrieve.

Why: Salesforce returns a Profile holding only the permissions for components that were in
the same retrieve (plus the profile's own settings: user permissions, login IP ranges, license).
sfenv sends profiles along with their related types, chunk by chunk, and merges the parts;
the local org uses `filter_profile` to answer a retrieve the way Salesforce does.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import MetadataType, Registry, SectionSpec, default_registry
from sfenv.core.metadata.xmlio import (
    canonical_text,
    child_text,
    local_name,
    parse_xml,
    sort_unordered,
    write_xml,
)


def entry_identity(el: etree._Element, section: SectionSpec) -> tuple[str, ...]:
    """The values of a section entry's identity elements ("" for an absent one)."""
    return tuple(child_text(el, key) or "" for key in section.keys)


def _owners(cid: ComponentId, registry: Registry) -> list[ComponentId]:
    """The retrieved components that make Salesforce include an entry for `cid`: itself, its
    parent (a field's object), a standard tab's object; `Type:*` wildcards count."""
    owners = [cid, ComponentId(cid.type, "*")]
    parent = registry.parent_id(cid) if "." in cid.full_name else cid
    if parent != cid:
        owners += [parent, ComponentId(parent.type, "*")]
    if cid.type == "CustomTab" and cid.full_name.startswith("standard-"):
        owners.append(ComponentId("CustomObject", cid.full_name.removeprefix("standard-")))
    return owners


def section_entries(root: etree._Element, mtype: MetadataType
                    ) -> Iterable[tuple[etree._Element, ComponentId]]:
    """(element, component it grants access to) for every entry of a parsed profile or
    permission set whose section names a component (field, class, layout...)."""
    for el in root:
        section = mtype.section(local_name(el))
        if section is None or section.grants is None:
            continue
        key = entry_identity(el, section)[0]
        if key:
            yield el, ComponentId(section.grants, key)


class RideAlong:
    """The handler of the type a retrieve answers only for the components beside it (Profile:
    the registry row with `retrieved_with`): how Salesforce filters it, how sfenv merges the
    parts of a chunked retrieve. One object per registry, so a project's registry is honoured."""

    def __init__(self, registry: Registry) -> None:
        [self.type] = registry.retrieved_with_related()
        self.registry = registry

    def filter(self, data: bytes, retrieved: set[ComponentId], source: str = "profile") -> bytes:
        """The profile as Salesforce returns it when retrieved with `retrieved`: section
        entries only for retrieved components (a field also when its whole object was
        retrieved; `Type:*` wildcards count), plus all of the profile's own settings."""
        ptype = self.type
        root = parse_xml(data, source)
        for el, cid in list(section_entries(root, ptype)):
            if not any(owner in retrieved for owner in _owners(cid, self.registry)):
                root.remove(el)
        sort_unordered(root, ptype)
        return write_xml(root)

    def merge(self, parts: list[bytes], source: str = "profile") -> bytes:
        """One profile from the parts of a chunked retrieve (see `merge_profiles`)."""
        return _merge(parts, source, self.type)


def filter_profile(data: bytes, retrieved: set[ComponentId], source: str = "profile",
                   registry: Registry | None = None) -> bytes:
    """`RideAlong.filter` (canonical bytes); the shipped registry unless one is given."""
    return RideAlong(registry or default_registry()).filter(data, retrieved, source)


def merge_profiles(parts: list[bytes], source: str = "profile",
                   registry: Registry | None = None) -> bytes:
    """One profile from the parts of a chunked retrieve: the union of their entries (the first
    part wins when two disagree on one entry), elements in Salesforce's order, canonical."""
    return RideAlong(registry or default_registry()).merge(parts, source)


def _merge(parts: list[bytes], source: str, ptype: MetadataType) -> bytes:
    if not parts:
        raise ValueError("merge_profiles needs at least one part")
    roots = [parse_xml(p, f"{source} (part {i + 1})") for i, p in enumerate(parts)]
    # lxml-stubs 0.5.1 refuses the None key (default namespace) its own `nsmap` property returns
    merged = etree.Element(roots[0].tag, nsmap=roots[0].nsmap)  # type: ignore[arg-type]
    seen: set[tuple[str, str]] = set()
    kept: list[etree._Element] = []
    for root in roots:
        for el in root:
            if not isinstance(el.tag, str):
                continue
            name = local_name(el)
            section = ptype.section(name)
            if section is not None:
                identity = (name, "\n".join(entry_identity(el, section)))
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
