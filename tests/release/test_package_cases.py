"""Packages built from fixture cases (from/ = target, to/ = source) match expected/ byte for byte."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.ziputil import read_zip, write_zip
from tests.release.helpers import CASES, build_case, read_tree

CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_package_matches_expected_files_byte_for_byte(case):
    pkg = build_case(case)
    expected = read_tree(case / "expected")
    assert sorted(pkg.files) == sorted(expected)
    for path, data in expected.items():
        assert pkg.files[path] == data, path


def test_zip_holds_manifests_at_root_and_metadata_without_src_prefix():
    pkg = build_case(CASES / "destructive")
    members = read_zip(write_zip(pkg.zip_members()), "package.zip")
    assert "package.xml" in members and "destructiveChangesPost.xml" in members
    assert "classes/Util.cls" in members
    assert not any(p.startswith("src/") for p in members)


def test_zip_bytes_are_deterministic():
    pkg = build_case(CASES / "lwc_bundle")
    assert write_zip(pkg.zip_members()) == write_zip(build_case(CASES / "lwc_bundle").zip_members())


def test_children_of_a_deleted_object_are_not_listed_separately():
    pkg = build_case(CASES / "destructive")
    post = pkg.files["destructiveChangesPost.xml"].decode()
    assert "<members>Old__c</members>" in post
    assert "Old__c.X__c" not in post


def test_excluded_sibling_field_stays_out_of_the_partial_object_file():
    pkg = build_case(CASES / "parent_and_one_child")
    body = pkg.files["src/objects/Invoice__c.object"].decode()
    assert "A__c" in body and "B__c" not in body and "C__c" not in body
