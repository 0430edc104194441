"""`sfenv diff` sees the types a project declares in sfenv.yml (the Workspace's registry)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from compare_helpers import snap
from test_project_types import DECLARED, blueprint

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore


def test_sfenv_diff_lists_a_declared_type_by_component_and_element(tmp_path):
    (tmp_path / "sfenv.yml").write_text(DECLARED)
    store = SnapshotStore(tmp_path)
    snap(store, "prod", {"botBlueprints/Helper.blueprint": blueprint("Hello")})
    snap(store, "qa", {"botBlueprints/Helper.blueprint": blueprint("Welcome")})
    result = CliRunner().invoke(main, ["diff", "prod", "qa", "--json", "--type", "BotBlueprint",
                                       "--config", str(tmp_path / "sfenv.yml")])
    assert result.exit_code == 0, result.output
    [change] = json.loads(result.stdout)["changes"]
    assert change["component"] == "BotBlueprint:Helper", change
    assert [(e["path"], e["old"], e["new"]) for e in change["elements"]] == \
        [("greeting", "Hello", "Welcome")]


def test_a_mistaken_declaration_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "sfenv.yml").write_text(DECLARED.replace("strategy: xml", "strategy: zip"))
    result = CliRunner().invoke(main, ["diff", "prod", "qa",
                                       "--config", str(tmp_path / "sfenv.yml")])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'sfenv.yml'}:10: metadata_types.BotBlueprint.strategy: unknown "
        "strategy 'zip' (known: xml, content, bundle, folder)")
    assert not (tmp_path / ".git").exists()


def test_sfenv_status_lists_a_declared_type_pending_by_component(tmp_path):
    (tmp_path / "sfenv.yml").write_text(DECLARED)
    store = SnapshotStore(tmp_path)
    snap(store, "prod", {"botBlueprints/Helper.blueprint": blueprint("Hello")})
    snap(store, "qa", {"botBlueprints/Helper.blueprint": blueprint("Welcome")})
    result = CliRunner().invoke(main, ["status", "--json", "--config", str(tmp_path / "sfenv.yml")])
    assert result.exit_code == 0, result.output
    [hop] = json.loads(result.stdout)["hops"]
    assert [e["component"] for e in hop["entries"]] == ["BotBlueprint:Helper"], hop["entries"]
