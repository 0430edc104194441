"""`sfenv export ENV --format source|mdapi DIR`: a snapshot written as an sfdx project."""

from __future__ import annotations

import json

from sfenv.io.store.snapshots import SnapshotStore
from tests.source.helpers import read_tree
from tests.source.test_source_envs import FIELD, _cli, _project


def test_an_exported_project_reads_back_as_the_same_snapshot(tmp_path):
    repo = _project(tmp_path)
    assert _cli(repo.root, "pull", "main").exit_code == 0
    out = tmp_path / "exported"
    result = _cli(repo.root, "export", "main", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "sfdx-project.json").read_text())["packageDirectories"][0]["path"] == "force-app"
    assert (out / "force-app/main/default/objects/Vehicle__c/fields/Plate__c.field-meta.xml").is_file()
    config = (repo.root / "sfenv.yml").read_text().replace("path: .", f"path: {out}")
    repo.write("sfenv.yml", config)
    assert _cli(repo.root, "pull", "folder").exit_code == 0
    store = SnapshotStore(repo.root)
    main, folder = store.files(store.head("main")), store.files(store.head("folder"))
    assert {p: s for p, s in main.items() if not p.startswith(".sfenv/")} == \
        {p: s for p, s in folder.items() if not p.startswith(".sfenv/")}


def test_export_into_the_project_keeps_files_whose_content_did_not_change(tmp_path):
    repo = _project(tmp_path)
    # a formatter rewrote the declaration: same XML, other bytes
    text = (repo.root / FIELD).read_text().replace('encoding="UTF-8"?>', 'encoding="UTF-8" ?>')
    repo.write(FIELD, text)
    repo.commit("prettier")
    assert _cli(repo.root, "pull", "main").exit_code == 0
    before = read_tree(repo.root / "force-app")
    result = _cli(repo.root, "export", "main", str(repo.root), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == 0
    assert read_tree(repo.root / "force-app") == before
    assert repo.git("status", "--porcelain") == ""


def test_mdapi_export_has_a_package_xml_naming_every_component(tmp_path):
    repo = _project(tmp_path)
    assert _cli(repo.root, "pull", "main").exit_code == 0
    out = tmp_path / "mdapi"
    assert _cli(repo.root, "export", "main", str(out), "--format", "mdapi").exit_code == 0
    package = (out / "package.xml").read_text()
    assert "<members>Vehicle__c</members>" in package and "<name>CustomObject</name>" in package
    assert (out / "objects/Vehicle__c.object").is_file()


def test_export_follows_the_projects_decomposition_presets(tmp_path):
    repo = _project(tmp_path)
    labels = ('<?xml version="1.0" encoding="UTF-8"?>\n<CustomLabels xmlns="http://soap.sforce.com/2006/04/'
              'metadata">\n    <labels>\n        <fullName>Hi</fullName>\n        <language>en_US</language>'
              '\n        <protected>false</protected>\n        <shortDescription>Hi</shortDescription>\n'
              '        <value>Hello</value>\n    </labels>\n</CustomLabels>\n')
    repo.write("force-app/main/default/labels/CustomLabels.labels-meta.xml", labels)
    repo.commit("labels")
    assert _cli(repo.root, "pull", "main").exit_code == 0
    out = tmp_path / "decomposed"
    out.mkdir()
    (out / "sfdx-project.json").write_text(json.dumps({
        "packageDirectories": [{"path": "app", "default": True}],
        "sourceBehaviorOptions": ["decomposeCustomLabelsBeta", "decomposeWorkflowBeta"]}))
    assert _cli(repo.root, "export", "main", str(out)).exit_code == 0
    label = out / "app/main/default/labels/CustomLabels/Hi.label-meta.xml"
    assert "<value>Hello</value>" in label.read_text()
