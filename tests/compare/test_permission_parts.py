"""A profile or permission set file gives the same comparable parts from one parse
(`inventory._permission_parts`) as from the split + expansion it replaces (the whole sorted
file written, then parsed again): ids, parents and bytes, in the same order. Over every
profile and permission set file under tests/ (as Metadata API paths), canonical or not, and
the same files with their entries reversed, with CRLF line ends, and written on one line."""

from __future__ import annotations

import pytest

from sfenv.core.compare.inventory import (
    Part,
    _permission_parts,
    default_splitter,
    expand_permissions,
    parts_of_file,
)
from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import parse_xml, write_xml
from tests.permission_files import permission_files


def _variants(data: bytes, path: str) -> list[bytes]:
    root = parse_xml(data, path)
    children = list(root)
    for el in children:
        root.remove(el)
    for el in reversed(children):
        root.append(el)
    flat = b"".join(line.strip() for line in data.split(b"\n"))
    return [data, write_xml(root), data.replace(b"\n", b"\r\n"), flat]


def _old(path: str, data: bytes) -> list[Part]:
    registry = default_registry()
    parts: list[Part] = []
    for piece in split_file(path, data, registry):
        part = Part(piece.id, piece.parent, piece.xml)
        mtype = registry.find(piece.id.type) if piece.parent is None else None
        parts.extend(expand_permissions(part, mtype) if mtype is not None and mtype.sections
                     else [part])
    return parts


FILES = permission_files()


def test_there_are_profiles_and_permission_sets_to_compare():
    kinds = {path.split("/")[0] for path, _ in FILES}
    assert {"profiles", "permissionsets"} <= kinds and len(FILES) > 40


@pytest.mark.parametrize(("path", "data"), FILES, ids=[f"{i}-{p}" for i, (p, _) in enumerate(FILES)])
def test_one_parse_gives_the_split_and_expansions_parts(path: str, data: bytes):
    registry = default_registry()
    for variant in _variants(data, path):
        direct = _permission_parts(path, variant, registry)
        assert direct is not None
        assert direct == _old(path, variant)
        assert parts_of_file(path, variant, registry, default_splitter()) == direct


def test_other_files_still_take_the_split():
    registry = default_registry()
    data = (b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com'
            b'/2006/04/metadata">\n    <label>A</label>\n</CustomObject>\n')
    assert _permission_parts("objects/A__c.object", data, registry) is None
    assert parts_of_file("objects/A__c.object", data, registry, default_splitter()) == \
        [Part(p.id, p.parent, p.xml) for p in split_file("objects/A__c.object", data, registry)]
