"""A parent file whose component and every child are in the train is packaged whole, without
splitting it into pieces first (a train adding 60,000 components split each object file only to
find every piece kept: 61 s). The bytes are the ones the piece-by-piece path gave (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfenv.core.metadata.components import compose_file, keep_children, split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import canonicalize
from sfenv.services.train import package

PATH = "objects/Account.object"
FIXTURE = Path(__file__).parents[1] / "unit" / "metadata" / "fixtures" / "roundtrip" / "Account.object"
OWNER = ComponentId("CustomObject", "Account")


@pytest.fixture()
def registry():
    return default_registry()


@pytest.fixture()
def data(registry) -> bytes:
    return canonicalize(PATH, FIXTURE.read_bytes(), registry)


def children(data: bytes, registry) -> list[ComponentId]:
    return [p.id for p in split_file(PATH, data, registry) if p.parent is not None]


def test_a_whole_object_is_packaged_whole_without_being_split(registry, data, monkeypatch):
    members = {OWNER, *children(data, registry)}
    expected = keep_children(PATH, data, members, registry)  # what the whole-file path wrote

    def refuse(*args, **kwargs):
        raise AssertionError("split into pieces")

    monkeypatch.setattr(package, "split_file", refuse)
    assert package._partial_file(PATH, data, OWNER, members, registry) == expected


def test_a_child_left_out_is_not_carried_and_the_rest_is_as_composed(registry, data):
    kids = children(data, registry)
    left_out = ComponentId("CustomField", "Account.Region__c")
    assert left_out in kids
    members = {OWNER, *kids} - {left_out}
    got = package._partial_file(PATH, data, OWNER, members, registry)
    pieces = split_file(PATH, data, registry)
    expected = compose_file("CustomObject", [p.xml for p in pieces[1:] if p.id in members],
                            pieces[0].xml, registry)
    assert got == expected
    assert b"<fullName>Region__c</fullName>" not in got
    assert b"<fullName>Score__c</fullName>" in got and b"<sharingModel>" in got


def test_children_without_their_object_carry_no_object_setting(registry, data):
    members = {ComponentId("CustomField", "Account.Region__c")}
    got = package._partial_file(PATH, data, OWNER, members, registry)
    assert b"<fullName>Region__c</fullName>" in got
    assert b"<sharingModel>" not in got and b"<fullName>Score__c</fullName>" not in got



def _parent_files():
    """Every file with child components in the source trees (`to/`) of the release cases."""
    registry = default_registry()
    for to in sorted((Path(__file__).parent / "cases").glob("*/to")):
        for path in sorted(p for p in to.rglob("*") if p.is_file()):
            rel = path.relative_to(to).as_posix()
            cid = registry.component_of(rel)
            mtype = registry.find(cid.type) if cid else None
            if (mtype is not None and mtype.children and mtype.handler.compares_elements
                    and not rel.endswith("-meta.xml")):
                yield pytest.param(rel, path, id=f"{to.parent.name}:{rel}")


@pytest.mark.parametrize("rel, path", list(_parent_files()))
def test_every_case_parent_file_kept_whole_is_the_tree_writers_bytes(registry, rel, path):
    data = path.read_bytes()
    owner = registry.component_of(rel)
    ids = {p.id for p in split_file(rel, data, registry)}
    assert owner in ids
    assert package._partial_file(rel, data, owner, ids, registry) == keep_children(
        rel, data, ids, registry)
