"""Small, pure extractors the report needs from metadata files: a Role's parent, an object's
org-wide defaults. They read as little as they can: a large org has thousands of object files
and the report only wants two top-level elements of each.

Role files are parsed with the project's hardened parser (`sfenv.metadata.xmlio.parse_xml`).
Object files are streamed (`iter_top_level`) with the same hardening (no entities, no
network, no DTD), keeping only top-level elements and discarding the rest as it goes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from sfenv.errors import MetadataError

ROLE_DIR = "roles/"
ROLE_SUFFIX = ".role"
OBJECT_DIR = "objects/"
OBJECT_SUFFIX = ".object"
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)")


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


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _fallback_parse(data: bytes, source: str) -> etree._Element:
    """Hardened parse used only if `sfenv.metadata.xmlio` is absent (same settings)."""
    bad = _FORBIDDEN.search(data)
    if bad:
        line = data.count(b"\n", 0, bad.start()) + 1
        raise MetadataError(f"{source}:{line}: DOCTYPE and entity declarations are not allowed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        line = err.lineno or (err.position[0] if err.position else 1)
        raise MetadataError(f"{source}:{line}: {(err.msg or str(err)).split(', line ')[0]}") from None
    if root is None:
        raise MetadataError(f"{source}:1: empty XML document")
    return root


def parse_xml(data: bytes, source: str) -> etree._Element:
    """The project's hardened parser when present, else an equally hardened local one."""
    try:
        from sfenv.metadata.xmlio import parse_xml as project_parse
    except ImportError:
        return _fallback_parse(data, source)
    return project_parse(data, source)


def iter_top_level(data: bytes, source: str, wanted: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Yield `(localname, text)` of the root's direct children named in `wanted`, streaming.

    Each top-level element is freed once read, so memory stays flat for a 10 MB object file.
    Stops early once every wanted name has been seen. Malformed XML -> MetadataError.
    """
    bad = _FORBIDDEN.search(data)
    if bad:
        line = data.count(b"\n", 0, bad.start()) + 1
        raise MetadataError(f"{source}:{line}: DOCTYPE and entity declarations are not allowed")
    want = set(wanted)
    seen: set[str] = set()
    depth = 0
    context = etree.iterparse(
        io.BytesIO(data), events=("start", "end"), resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True,
    )
    try:
        for event, elem in context:
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth != 1:
                continue
            name = _local(elem.tag)
            if name in want:
                seen.add(name)
                yield name, (elem.text or "").strip()
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
            if seen >= want:
                return
    except etree.XMLSyntaxError as err:
        line = err.lineno or (err.position[0] if err.position else 1)
        raise MetadataError(f"{source}:{line}: {(err.msg or str(err)).split(', line ')[0]}") from None


def role_name_of(path: str) -> str | None:
    """`roles/CEO.role` -> `CEO`; None for anything that is not a Role file."""
    if not (path.startswith(ROLE_DIR) and path.endswith(ROLE_SUFFIX)):
        return None
    name = path[len(ROLE_DIR) : -len(ROLE_SUFFIX)]
    return name if name and "/" not in name else None


def object_name_of(path: str) -> str | None:
    """`objects/Account.object` -> `Account`; None for anything else."""
    if not (path.startswith(OBJECT_DIR) and path.endswith(OBJECT_SUFFIX)):
        return None
    name = path[len(OBJECT_DIR) : -len(OBJECT_SUFFIX)]
    return name if name and "/" not in name else None


def role_from_xml(name: str, data: bytes, source: str) -> RoleInfo:
    """A Role file's label and parent role (developer name); no parent for a top role."""
    root = parse_xml(data, source)
    label = parent = None
    for child in root:
        local = _local(child.tag)
        if local == "name":
            label = (child.text or "").strip()
        elif local == "parentRole":
            parent = (child.text or "").strip() or None
    return RoleInfo(name=name, label=label or name, parent=parent)


def owd_from_xml(data: bytes, source: str) -> Owd:
    """An object file's `sharingModel` and `externalSharingModel`, read by streaming."""
    found = dict(iter_top_level(data, source, ("sharingModel", "externalSharingModel")))
    return Owd(internal=found.get("sharingModel") or None,
               external=found.get("externalSharingModel") or None)
