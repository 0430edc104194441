"""Small, pure extractors the report needs from metadata files: a Role's parent, an object's
org-wide defaults. They read as little as they can: a large org has thousands of object files
and the report only wants two top-level elements of each.

Role files are parsed with the project's hardened parser, object files streamed
(`sfenv.core.metadata.xmlio.iter_top_level`, same hardening). Which files are roles and objects
comes from the registry (the hierarchy type and CustomObject's folder and suffix).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final, Literal

from sfenv.core.metadata.registry import MetadataType, Registry
from sfenv.core.metadata.xmlio import child_text, iter_top_level, parse_xml


@dataclass(frozen=True)
class RoleInfo:
    """One role: `name` is its developer name (the file name), `label` the `<name>` element."""

    name: str
    label: str
    parent: str | None


@dataclass(frozen=True)
class Owd:
    """Org-wide defaults of one object: internal (`sharingModel`) and external access."""

    internal: str | None
    external: str | None


def _main_file_name(path: str, mtype: MetadataType) -> str | None:
    """`roles/CEO.role` -> `CEO` for the Role type; None for any other file."""
    prefix, suffix = f"{mtype.directory}/", f".{mtype.suffix}"
    if not (path.startswith(prefix) and path.endswith(suffix)):
        return None
    name = path[len(prefix): -len(suffix)]
    return name if name and "/" not in name else None


def role_name_of(path: str, registry: Registry) -> str | None:
    """`roles/CEO.role` -> `CEO`; None for anything that is not a role (hierarchy) file."""
    return _main_file_name(path, registry.hierarchy_type())


def object_name_of(path: str, registry: Registry) -> str | None:
    """`objects/Account.object` -> `Account`; None for anything else."""
    return _main_file_name(path, registry.get("CustomObject"))


def role_from_xml(name: str, data: bytes, source: str, registry: Registry) -> RoleInfo:
    """A Role file's label and parent role (developer name); no parent for a top role."""
    parent_element = registry.hierarchy_type().hierarchy_parent or ""
    root = parse_xml(data, source)
    return RoleInfo(name=name, label=child_text(root, "name") or name,
                    parent=child_text(root, parent_element) or None)


# A snapshot's object file as sfenv writes it (`write_xml`): declaration, root, children
# indented by 4 spaces and their own children by 8 or more (so no DOCTYPE can follow).
_CANONICAL_OBJECT = re.compile(
    rb'<\?xml version="1\.0" encoding="UTF-8"\?>\n<CustomObject xmlns="[^"]+">\n    <[A-Za-z]')
class _Unreadable(enum.Enum):
    """The type of `_UNREADABLE` (an enum member, so `is not _UNREADABLE` narrows)."""

    TOKEN = 0


_UNREADABLE: Final = _Unreadable.TOKEN


def _top_line(data: bytes, name: bytes) -> str | None | Literal[_Unreadable.TOKEN]:
    """The text of the root's child `name` in a canonical file (its last line of that shape:
    top-level elements are written once), None when absent, `_UNREADABLE` when the line is
    not the plain `<name>text</name>` this reader understands."""
    tag = b"\n    <" + name + b">"
    at = data.rfind(tag)
    if at < 0:
        return None
    start = at + len(tag)
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)]
    close = b"</" + name + b">"
    text = line[:-len(close)]
    if not line.endswith(close) or b"<" in text or b"&" in text:
        return _UNREADABLE
    return text.decode("utf-8", "replace").strip()


def owd_from_xml(data: bytes, source: str) -> Owd:
    """An object file's `sharingModel` and `externalSharingModel`.

    In a canonical file the two are lines indented by exactly 4 spaces, found from the end of
    the file without parsing (the report reads thousands of object files of 20,000 fields);
    any other file is streamed with the hardened parser."""
    if _CANONICAL_OBJECT.match(data):
        internal = _top_line(data, b"sharingModel")
        external = _top_line(data, b"externalSharingModel")
        if internal is not _UNREADABLE and external is not _UNREADABLE:
            return Owd(internal=internal or None, external=external or None)
    found = dict(iter_top_level(data, source, ("sharingModel", "externalSharingModel")))
    return Owd(internal=found.get("sharingModel") or None,
               external=found.get("externalSharingModel") or None)
