"""Fixture cases: an sfdx project (`from/`) converts to exactly the Metadata API files the
Salesforce CLI's `project convert source` wrote for it (`expected/`), and back again."""

from __future__ import annotations

import pytest

from sfenv.metadata.registry import default_registry
from sfenv.source.convert import to_source
from sfenv.source.load import load_tree
from sfenv.source.project import read_project, source_files
from tests.source.helpers import CASES, read_tree, tree_differences

CONVERT = sorted(p for p in (CASES / "convert").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CONVERT, ids=[p.name for p in CONVERT])
def test_source_converts_to_what_the_salesforce_cli_writes(case):
    loaded = load_tree(read_tree(case / "from"), str(case), default_registry())
    assert loaded.format == "source"
    assert tree_differences(loaded.files, read_tree(case / "expected")) == []


@pytest.mark.parametrize("case", [c for c in CONVERT if not (c / "NO_ROUNDTRIP").exists()],
                         ids=[p.name for p in CONVERT if not (p / "NO_ROUNDTRIP").exists()])
def test_metadata_api_converts_back_to_the_same_source_files(case):
    source = read_tree(case / "from")
    project = read_project(source, str(case))
    wanted = {path.split("/", 1)[1].removeprefix("main/default/"): data
              for path, data in source_files(source, project).items()}
    back = to_source(read_tree(case / "expected"), default_registry())
    assert tree_differences(back.files, wanted) == []


def test_forceignored_and_non_metadata_files_are_left_out_with_a_warning():
    case = CASES / "convert" / "c05-bundles"
    loaded = load_tree(read_tree(case / "from"), str(case), default_registry())
    assert not any("__tests__" in p or "jsconfig" in p for p in loaded.files)
    assert loaded.warnings == []


def test_a_standard_object_with_only_a_field_gets_no_object_file_back():
    case = CASES / "convert" / "c01-custom-object"
    back = to_source(read_tree(case / "expected"), default_registry())
    assert "objects/Account/fields/Region__c.field-meta.xml" in back.files
    assert not any(p.startswith("objects/Account/Account.") for p in back.files)
