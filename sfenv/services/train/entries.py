"""The entries of one parsed profile or permission set, each element's identity read once.

Why: a plan reads the same entries twice (keeping the changed ones, then fitting them to the
target), and `inventory.entry_id` + `profiles.section_entries` each took an element's local
name and searched its children once per identity key: 140,000 such calls and ~6 s of a
profiled 35 s `release plan` of a real Metadata API repository (DAHLIA, 27 profiles of
2,000-3,000 entries). Here an element's tag is looked up in a per-file table and its children
are walked once. The answers are those of `entry_id` and `section_entries` (same first section
of a name, same first child of a key's name in any namespace, same stripped text).
"""

from __future__ import annotations

from lxml import etree

from sfenv.core.compare.inventory import sections_by_element
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import MetadataType, SectionSpec


class EntryReader:
    """Identity of the top-level elements of one profile or permission set (`owner`)."""

    def __init__(self, owner: ComponentId, mtype: MetadataType) -> None:
        self.owner = owner
        self._sections = sections_by_element(mtype)
        self._by_tag: dict[str, SectionSpec | None] = {}  # "{ns}fieldPermissions" -> section
        # lxml matches "{*}field" in C, in any namespace or none, comments skipped
        self._patterns = {s: tuple("{*}" + key for key in s.keys) for s in self._sections.values()}
        self._kinds = {s: f"{owner.type}{s.entry_kind}" for s in self._sections.values()}
        self._prefix = f"{owner.full_name}/"

    def section(self, el: etree._Element) -> SectionSpec | None:
        """The section `el` is an entry of (the type's first of that element name), or None."""
        tag = el.tag
        if tag.__class__ is not str:
            return None  # comments and processing instructions
        assert isinstance(tag, str)
        try:
            return self._by_tag[tag]
        except KeyError:
            found = self._by_tag[tag] = self._sections.get(tag.rsplit("}", 1)[-1])
            return found

    def values(self, el: etree._Element, section: SectionSpec) -> tuple[str, ...]:
        """The stripped texts of the section's key elements ("" for an absent one): the first
        direct child of each key's local name, in any namespace."""
        out = []
        for pattern in self._patterns[section]:
            child = next(el.iterchildren(pattern), None)
            out.append("" if child is None else (child.text or "").strip())
        return tuple(out)

    def row(self, el: etree._Element) -> tuple[SectionSpec, tuple[str, ...], str, str] | None:
        """(section, key values, row type, row name) of an entry element, None for the
        owner's own settings: the row is `entry_id(owner, el, mtype)` as two strings (no
        `ComponentId` built per element)."""
        section = self.section(el)
        if section is None:
            return None
        values = self.values(el, section)
        if not values[0]:
            return None
        return section, values, self._kinds[section], self._prefix + section.entry_name(values)

    def identity(self, el: etree._Element
                 ) -> tuple[ComponentId, ComponentId | None] | None:
        """(the entry row, the component it grants or None) for an entry element, None for
        the owner's own settings: `entry_id(owner, el, mtype)` and `section_entries`'s grant."""
        found = self.row(el)
        if found is None:
            return None
        section, values, kind, name = found
        grants = ComponentId(section.grants, values[0]) if section.grants is not None else None
        return ComponentId(kind, name), grants
