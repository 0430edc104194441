"""`sfenv pull` of a folder (`kind: dir`) reads a type the project declares in sfenv.yml
(`metadata_types:`): the pull is given the Workspace's registry (#21). Before, the declared
type's files were not recognised and the snapshot came out empty, with exit 0."""

from __future__ import annotations

import contextlib
import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.config import load_config
from sfenv.core.metadata.overlays import project_registry
from sfenv.core.metadata.registry import default_registry
from sfenv.errors import ConfigError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.pull.listing import load_manifest

CONFIG = """project: bots
api_version: "62.0"
environments:
  folder:
    kind: dir
    path: .
  prod: {access_token_env: X, instance_url: "https://prod.example", production: true}
path: [folder, prod]
metadata_types:
  BotBlueprint:
    directory: botBlueprints
    suffix: blueprint
    strategy: xml
"""
SOURCE = "force-app/main/default/botBlueprints/Helper.blueprint-meta.xml"
BLUEPRINT = """<?xml version="1.0" encoding="UTF-8"?>
<BotBlueprint xmlns="http://soap.sforce.com/2006/04/metadata">
    <greeting>Hi</greeting>
    <label>Helper</label>
</BotBlueprint>
"""


def test_pull_of_a_folder_snapshots_a_declared_type_as_a_component(tmp_path):
    (tmp_path / "sfenv.yml").write_text(CONFIG)
    (tmp_path / "sfdx-project.json").write_text(
        '{"packageDirectories": [{"path": "force-app", "default": true}]}')
    (tmp_path / SOURCE).parent.mkdir(parents=True)
    (tmp_path / SOURCE).write_text(BLUEPRINT)
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(main, ["pull", "folder", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts_by_type"] == {"BotBlueprint": 1}
    store = SnapshotStore(tmp_path)
    files = store.files(store.head("folder"))
    assert "<greeting>Hi</greeting>" in store.read_blob(
        files["botBlueprints/Helper.blueprint"]).decode()


def test_an_org_pulls_manifest_may_name_a_declared_type(tmp_path):
    """The manifest check of an org pull asks the project's registry: a package.xml naming
    the declared type is accepted; the shipped registry refuses it (exit 2) as before."""
    (tmp_path / "sfenv.yml").write_text(CONFIG)
    (tmp_path / "package.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        "    <types><members>*</members><name>BotBlueprint</name></types>\n</Package>\n")
    registry = project_registry(load_config(tmp_path / "sfenv.yml"))
    assert load_manifest("package.xml", tmp_path, registry).types == {"BotBlueprint": ["*"]}
    with pytest.raises(ConfigError, match="package.xml:3: unknown metadata type: BotBlueprint"):
        load_manifest("package.xml", tmp_path, default_registry())


def test_export_writes_a_declared_type_back_in_source_format(tmp_path):
    """`sfenv export --format source` converts the declared type's snapshot file back (before:
    "not metadata sfenv knows, left out")."""
    test_pull_of_a_folder_snapshots_a_declared_type_as_a_component(tmp_path)
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(main, ["export", "folder", "--format", "source", "out",
                                           "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == []
    assert (tmp_path / "out" / SOURCE).read_text() == BLUEPRINT
