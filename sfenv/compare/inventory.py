"""A snapshot's components, read lazily: pieces of the files that differ, and the index.

Pieces come from `sfenv.metadata.components.split_file` (top-level component + its child
components: fields, record types, list views, validation rules, workflow rules and actions,
sharing rules, custom labels, assignment/escalation rules...). Profiles and permission sets
have no child types in the Metadata API, yet their entries are what teams review, so each
entry of their unordered (keyed) lists becomes a row of its own:

    <Type><Entry>:<Name>/<key>     e.g. ProfileFieldPermission:Admin/Account.Region__c
                                        PermissionSetUserPermission:Sales_Ops/ViewSetup
                                        ProfileLayoutAssignment:Admin/Account-Account Layout

`<Entry>` is the list's element in singular (fieldPermissions -> FieldPermission,
classAccesses -> ClassAccess, recordTypeVisibilities -> RecordTypeVisibility) and `<key>` the
element the registry sorts that list by (`field`, `apexClass`, `name`...); layout assignments
add `@<recordType>` when they name one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sfenv.metadata.ids import ComponentId
from sfenv.metadata.xmlio import local_name, parse_xml, write_xml

INDEX_PATH = ".sfenv/components.json"
AUDIT_PATH = ".sfenv/audit-trail.json"
PERMISSION_TYPES = ("Profile", "PermissionSet", "MutingPermissionSet")
EXTRA_KEYS = {"layoutAssignments": "recordType"}

Splitter = Callable[[str, bytes, Any], list]


@dataclass(frozen=True)
class Part:
    """One comparable piece of a component: its canonical bytes and its parent."""

    id: ComponentId
    parent: ComponentId | None
    xml: bytes


def default_splitter() -> Splitter:
    from sfenv.metadata.components import split_file

    return split_file


def singular(element: str) -> str:
    word = element[0].upper() + element[1:]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def expand_permissions(part: Part, sort_keys: Mapping[str, str]) -> list[Part]:
    """A profile/permission set as its own part (minus the entries) + one part per entry."""
    root = parse_xml(part.xml, str(part.id))
    parts: list[Part] = []
    for el in list(root):
        name = local_name(el)
        key_name = sort_keys.get(name)
        if not key_name:
            continue
        key = _text(el, key_name)
        if key is None:
            continue
        extra = EXTRA_KEYS.get(name)
        if extra and _text(el, extra):
            key = f"{key}@{_text(el, extra)}"
        cid = ComponentId(f"{part.id.type}{singular(name)}", f"{part.id.full_name}/{key}")
        parts.append(Part(cid, part.id, write_xml(el)))
        root.remove(el)
    return [Part(part.id, part.parent, write_xml(root)), *parts] if parts else [part]


def _text(el: Any, name: str) -> str | None:
    for child in el:
        if local_name(child) == name and child.text:
            return child.text.strip()
    return None


def parts_of_file(path: str, data: bytes, registry: Any, split: Splitter) -> list[Part]:
    """Comparable parts of one XML-strategy file (permission entries expanded)."""
    parts: list[Part] = []
    for piece in split(path, data, registry):
        part = Part(piece.id, piece.parent, piece.xml)
        if piece.id.type in PERMISSION_TYPES and piece.parent is None:
            mtype = registry.find(piece.id.type)
            parts.extend(expand_permissions(part, dict(getattr(mtype, "sort_keys", ()) or ())))
        else:
            parts.append(part)
    return parts


def sort_keys_for(registry: Any, type_name: str) -> dict[str, str]:
    """Element -> key element for keyed lists inside a component of `type_name` (for element
    diffs); permission entry rows use their parent type's table."""
    mtype = registry.find(type_name)
    if mtype is None:
        for parent in PERMISSION_TYPES:
            if type_name.startswith(parent):
                mtype = registry.find(parent)
                break
    keys: dict[str, str] = {}
    for path, key in getattr(mtype, "sort_keys", ()) or ():
        if key:
            keys[path.rsplit("/", 1)[-1]] = key
    return keys


def load_json_blob(data: bytes | None, default: Any) -> Any:
    if not data:
        return default
    try:
        return json.loads(data)
    except ValueError:
        return default
