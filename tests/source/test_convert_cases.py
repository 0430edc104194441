"""Fixture cases: an sfdx project (`from/`) converts to exactly the Metadata API files the
Salesforce CLI's `project convert source` wrote for it (`expected/`), and back again."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import local_name, parse_xml, write_xml
from sfenv.io.source.convert import to_source
from sfenv.io.source.load import load_tree
from sfenv.io.source.project import read_project, source_files
from tests.source.helpers import CASES, read_tree, tree_differences

CONVERT = sorted(p for p in (CASES / "convert").iterdir() if p.is_dir())


def _in_name_order(tree: dict[str, bytes]) -> dict[str, bytes]:
    """XML files with the root's elements in element-name order (stable)."""
    out = {}
    for path, data in tree.items():
        root = parse_xml(data, path)
        for node in sorted(root, key=local_name):
            root.append(node)
        out[path] = write_xml(root)
    return out


@pytest.mark.parametrize("case", CONVERT, ids=[p.name for p in CONVERT])
def test_source_converts_to_what_the_salesforce_cli_writes(case):
    loaded = load_tree(read_tree(case / "from"), str(case), default_registry())
    assert loaded.format == "source"
    got, want = loaded.files, read_tree(case / "expected")
    if (case / "ELEMENT_ORDER").exists():
        got, want = _in_name_order(got), _in_name_order(want)
    assert tree_differences(got, want) == []


@pytest.mark.parametrize("case", [c for c in CONVERT if not (c / "NO_ROUNDTRIP").exists()],
                         ids=[p.name for p in CONVERT if not (p / "NO_ROUNDTRIP").exists()])
def test_metadata_api_converts_back_to_the_same_source_files(case):
    source = read_tree(case / "from")
    project = read_project(source, str(case))
    wanted = {path.split("/", 1)[1].removeprefix("main/default/"): data
              for path, data in source_files(source, project).items()}
    table = default_registry().source.with_options(project.options)
    back = to_source(read_tree(case / "expected"), default_registry(), table)
    assert tree_differences(back.files, wanted) == []


def test_forceignored_and_non_metadata_files_are_left_out_with_a_warning():
    case = CASES / "convert" / "c05-bundles"
    loaded = load_tree(read_tree(case / "from"), str(case), default_registry())
    assert not any("__tests__" in p or "jsconfig" in p for p in loaded.files)
    assert loaded.warnings == []


def test_a_standard_object_with_only_a_field_gets_the_empty_object_file_the_cli_writes():
    case = CASES / "convert" / "c01-custom-object"
    back = to_source(read_tree(case / "expected"), default_registry())
    assert "objects/Account/fields/Region__c.field-meta.xml" in back.files
    assert back.files["objects/Account/Account.object-meta.xml"] == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata"></CustomObject>\n')


def test_a_permission_set_folder_becomes_one_set_in_element_name_order():
    case = CASES / "convert" / "c08-preset-permset-labels-files"
    loaded = load_tree(read_tree(case / "from"), str(case), default_registry())
    root = parse_xml(loaded.files["permissionsets/Fleet.permissionset"], "Fleet")
    names = [local_name(n) for n in root]
    assert names == sorted(names)
    assert names.count("fieldPermissions") == 2 and "description" in names
