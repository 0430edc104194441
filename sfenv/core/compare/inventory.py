"""A snapshot's components, read lazily: pieces of the files that differ, and the index.

Pieces come from `sfenv.core.metadata.components.split_file` (top-level component + its child
components: fields, record types, list views, validation rules, workflow rules and actions,
sharing rules, custom labels, assignment/escalation rules...). Profiles and permission sets
have no child types in the Metadata API, yet their entries are what teams review, so each
entry of their unordered (keyed) lists becomes a row of its own:

    <Type><Entry>:<Name>/<key>     e.g. ProfileFieldPermission:Admin/Account.Region__c
                                        PermissionSetUserPermission:Sales_Ops/ViewSetup
                                        ProfileLayoutAssignment:Admin/Account-Account Layout

`<Entry>` is the list's element in singular (fieldPermissions -> FieldPermission,
classAccesses -> ClassAccess, recordTypeVisibilities -> RecordTypeVisibility) and `<key>` the
values of the elements the registry says identify an entry (`SectionSpec.keys`), joined by
"@": layout assignments add `@<recordType>` when they name one, login IP ranges
`@<endAddress>`, profile action overrides `@<page or object>@<form factor>@<record type>`.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from operator import le
from typing import Any

from lxml import etree

from sfenv.core.metadata.canontext import element_texts
from sfenv.core.metadata.components import Piece, split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import MetadataType, Registry, SectionSpec
from sfenv.core.metadata.xmlio import (
    is_xml_path,
    local_name,
    parse_xml,
    sort_unordered,
    write_xml,
)

INDEX_PATH = ".sfenv/components.json"
AUDIT_PATH = ".sfenv/audit-trail.json"

Splitter = Callable[[str, bytes, Registry], list[Piece]]


@dataclass(frozen=True)
class Part:
    """One comparable piece of a component: its canonical bytes and its parent."""

    id: ComponentId
    parent: ComponentId | None
    xml: bytes


def default_splitter() -> Splitter:
    return split_file


def entry_id(owner: ComponentId, el: etree._Element, mtype: MetadataType,
             sections: Mapping[str, SectionSpec] | None = None) -> ComponentId | None:
    """The entry row an element of a profile/permission set is (`ProfileFieldPermission:
    Admin/Account.Region__c`), or None for the owner's own settings. `sections`
    (`sections_by_element(mtype)`, built once per file) saves a search per element."""
    name = local_name(el)
    section = mtype.section(name) if sections is None else sections.get(name)
    if section is None:
        return None
    values = tuple(_key_text(el, key) for key in section.keys)
    if not values[0]:
        return None
    return ComponentId(f"{owner.type}{section.entry_kind}",
                       f"{owner.full_name}/{section.entry_name(values)}")


def _key_text(el: etree._Element, key: str) -> str:
    """`child_text(el, key) or ""`, the child found by lxml in C: `{*}key` matches in any
    namespace or none and skips comments, as `child_text` does (a Python walk reading every
    child's tag was most of `entry_id`'s cost: 200,000 calls in a real plan)."""
    child = next(el.iterchildren("{*}" + key), None)
    return "" if child is None else (child.text or "").strip()


def sections_by_element(mtype: MetadataType) -> dict[str, SectionSpec]:
    """`mtype.section(name)` for every name, as a mapping (the first section of a name wins,
    as in `section`)."""
    found: dict[str, SectionSpec] = {}
    for section in mtype.sections:
        found.setdefault(section.xml_element, section)
    return found


def expand_permissions(part: Part, mtype: MetadataType) -> list[Part]:
    """A profile/permission set as its own part (minus the entries) + one part per entry."""
    root = parse_xml(part.xml, str(part.id))
    texts = element_texts(part.xml, root)  # the entries' own canonical bytes, when exact
    parts: list[Part] = []
    sections = sections_by_element(mtype)
    for el in list(root):
        cid = entry_id(part.id, el, mtype, sections)
        if cid is None:
            continue
        parts.append(Part(cid, part.id, texts.get(el) or write_xml(el)))
        root.remove(el)
    return [Part(part.id, part.parent, write_xml(root)), *parts] if parts else [part]


def parts_of_file(path: str, data: bytes, registry: Registry, split: Splitter) -> list[Part]:
    """Comparable parts of one XML-strategy file (permission entries expanded)."""
    if split is split_file:
        direct = _permission_parts(path, data, registry)
        if direct is not None:
            return direct
    parts: list[Part] = []
    for piece in split(path, data, registry):
        part = Part(piece.id, piece.parent, piece.xml)
        mtype = registry.find(piece.id.type) if piece.parent is None else None
        if mtype is not None and mtype.sections:
            parts.extend(expand_permissions(part, mtype))
        else:
            parts.append(part)
    return parts


def _permission_parts(path: str, data: bytes, registry: Registry) -> list[Part] | None:
    """`expand_permissions(split_file(...))` of a profile or permission set file from one parse:
    the split wrote the whole sorted file (37,000 lines in a real profile) only for the
    expansion to parse it again. The entries' texts are read from `data` before sorting (the
    sort moves whole entries; it changes no entry's text unless the type sorts a list inside
    one, and those entries are written). None for any other file: the caller splits it."""
    cid = registry.component_of(path)
    if cid is None:
        return None
    mtype = registry.get(cid.type)
    if (not mtype.sections or (mtype.children and mtype.handler.compares_elements)
            or not is_xml_path(path, mtype)):
        return None
    root = parse_xml(data, path)
    texts = element_texts(data, root)
    sort_unordered(root, mtype)
    nested = {u.split("/", 1)[0] for u in mtype.unordered if "/" in u}
    parts: list[Part] = []
    sections = sections_by_element(mtype)
    for el in list(root):
        entry = entry_id(cid, el, mtype, sections)
        if entry is None:
            continue
        text = None if local_name(el) in nested else texts.get(el)
        parts.append(Part(entry, cid, text or write_xml(el)))
        root.remove(el)
    return [Part(cid, None, write_xml(root)), *parts]


def sort_keys_for(registry: Registry, type_name: str) -> dict[str, tuple[str, ...]]:
    """Element -> the elements identifying one item, for keyed lists inside a component of
    `type_name` (for element diffs); permission entry rows use their parent type's table."""
    mtype = registry.find(type_name)
    if mtype is None:
        mtype = next((registry.get(t) for t in registry.section_types()
                      if type_name.startswith(t)), None)
    if mtype is None:
        return {}
    keys: dict[str, tuple[str, ...]] = {}
    for path, key in mtype.sort_keys:
        if key:
            name = path.rsplit("/", 1)[-1]
            keys[name] = mtype.identity_of(name) or (key,)
    return keys


def load_json_blob(data: bytes | None, default: Any) -> Any:
    if not data:
        return default
    try:
        return json.loads(data)
    except ValueError:
        return default


class ComponentIndex(Mapping[str, dict[str, Any]]):
    """A component index blob (`.sfenv/components.json`), decoded one entry at a time.

    Pulls write the index one entry a line (`"Type:Name": {...},`): a lookup finds its line
    and decodes that line only, instead of decoding 170,000 entries at 60,000 components to
    read the few hundred a diff or a plan shows. Any other layout is decoded in full once.
    Iterating or taking the length decodes it in full too."""

    def __init__(self, data: bytes | None) -> None:
        self._data = data or b""
        self._lines: dict[bytes, bytes] | None = None
        self._sorted: list[bytes] | None = None
        self._full: dict[str, dict[str, Any]] | None = None
        first = self._data[2:self._data.find(b"\n", 2)]
        self._by_line = self._data.startswith(b'{\n"') and first.rstrip(b",").endswith(b"}")

    def _whole(self) -> dict[str, dict[str, Any]]:
        if self._full is None:
            value = load_json_blob(self._data, {})
            self._full = ({k: v for k, v in value.items() if isinstance(v, dict)}
                          if isinstance(value, dict) else {})
        return self._full

    def _line_of(self, key: str) -> tuple[bytes, int] | None:
        """The key's line and where its value starts, or None when absent."""
        if self._lines is None and self._sorted is None:
            lines = self._data.split(b"\n")
            entries = lines[1:-1] if lines[-1] else lines[1:-2]  # between "{" and "}"
            if all(map(le, entries, islice(entries, 1, None))):  # pulls write it sorted
                self._sorted = entries  # bisect, no map
            elif b'\\"' in self._data:  # a key could hold `": `: decode it all
                self._by_line = False
                return None
            else:
                self._lines = {line[:line.find(b'"', 1) + 1]: line for line in entries}
        for encoded in {json.dumps(key), json.dumps(key, ensure_ascii=False)}:
            start = encoded.encode() + b": "
            if self._sorted is not None:
                at = bisect_left(self._sorted, start)
                if at < len(self._sorted) and self._sorted[at].startswith(start):
                    return self._sorted[at], len(start)
            elif self._lines is not None and (line := self._lines.get(encoded.encode())) is not None:
                return line, len(start)
        return None

    def __getitem__(self, key: str) -> dict[str, Any]:
        if not self._by_line or self._full is not None:
            return self._whole()[key]
        found = self._line_of(key)
        if not self._by_line:
            return self._whole()[key]
        if found is None:
            raise KeyError(key)
        line, cut = found  # the value after `"key": `
        try:
            value = json.loads(line[cut:].rstrip(b","))
        except ValueError:  # not one entry a line after all
            self._by_line = False
            return self._whole()[key]
        if not isinstance(value, dict):
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())


def index_entries(data: bytes | None, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The entries of a component index blob for `keys` only (absent keys left out)."""
    index = ComponentIndex(data)
    return {k: v for k in keys if (v := index.get(k)) is not None}
