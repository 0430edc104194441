"""A decomposed child file (a list view, a field) held byte for byte in two package directories
(arbeidsgiver 63fb4cec65: `JobPosting__c/listViews/Direktemeldte_stillinger_mitt_kontor` in
`force-app/main/default` and in `force-app/functionality/arbeidsplassen`) is one component:
kept once with a warning. Two different files of one child are still a one-line error."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.registry import default_registry
from sfenv.errors import MetadataError
from sfenv.io.source.convert import to_mdapi

VIEW = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ListView xmlns="http://soap.sforce.com/2006/04/'
        b'metadata">\n    <fullName>Mine</fullName>\n    <filterScope>{scope}</filterScope>\n'
        b"    <label>Mine</label>\n</ListView>\n")
A = "force-app/main/default/objects/Job__c/listViews/Mine.listView-meta.xml"
B = "force-app/feature/objects/Job__c/listViews/Mine.listView-meta.xml"


def test_the_same_child_file_in_two_package_directories_is_kept_once():
    view = VIEW.replace(b"{scope}", b"Mine")
    out = to_mdapi({A: view, B: view}, default_registry())
    assert list(out.files) == ["objects/Job__c.object"]
    assert out.files["objects/Job__c.object"].count(b"<listViews>") == 1
    assert any(B in w and A in w and "one kept" in w for w in out.warnings), out.warnings


def test_two_different_files_of_one_child_are_a_one_line_error():
    with pytest.raises(MetadataError, match="two package directories hold"):
        to_mdapi({A: VIEW.replace(b"{scope}", b"Mine"), B: VIEW.replace(b"{scope}", b"Everything")},
                 default_registry())
