"""The commands beyond `diff`/`status` see the types a project declares in sfenv.yml: `release
plan`, `release build`, `report` and `changelog` are given the Workspace's registry (#21).

Without the registry passed in, a declared type is one opaque `File:` row (or, in a
--manifest, an unknown type refused with exit 2)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from compare_helpers import snap
from test_project_types import CONFIG, DECLARED, blueprint

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<Package xmlns="http://soap.sforce.com/2006/04/metadata">
    <types><members>*</members><name>BotBlueprint</name></types>
    <version>62.0</version>
</Package>
"""


def _project(tmp_path, text=DECLARED):
    (tmp_path / "sfenv.yml").write_text(text)
    store = SnapshotStore(tmp_path)
    snap(store, "prod", {"botBlueprints/Helper.blueprint": blueprint("Hello")})
    snap(store, "qa", {"botBlueprints/Helper.blueprint": blueprint("Welcome"),
                       "botBlueprints/Greeter.blueprint": blueprint("Hi")})
    return str(tmp_path / "sfenv.yml")


def _run(args):
    return CliRunner().invoke(main, args)


def test_release_plan_lists_a_declared_type_by_component(tmp_path):
    config = _project(tmp_path)
    result = _run(["release", "plan", "R1", "--from", "qa", "--to", "prod", "--json",
                   "--config", config])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [i["component"] for i in out["adds"]] == ["BotBlueprint:Greeter"], out
    assert [i["component"] for i in out["changes"]] == ["BotBlueprint:Helper"], out


def test_release_plan_accepts_a_manifest_naming_a_declared_type(tmp_path):
    config = _project(tmp_path)
    (tmp_path / "package.xml").write_text(MANIFEST)
    result = _run(["release", "plan", "R1", "--from", "qa", "--to", "prod", "--json",
                   "--manifest", str(tmp_path / "package.xml"), "--config", config])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert sorted(i["component"] for i in out["adds"] + out["changes"]) == \
        ["BotBlueprint:Greeter", "BotBlueprint:Helper"], out


def test_without_the_declaration_the_manifest_type_is_still_refused(tmp_path):
    config = _project(tmp_path, CONFIG)
    (tmp_path / "package.xml").write_text(MANIFEST)
    result = _run(["release", "plan", "R1", "--from", "qa", "--to", "prod", "--json",
                   "--manifest", str(tmp_path / "package.xml"), "--config", config])
    assert result.exit_code == 2, result.output
    assert "unknown metadata type: BotBlueprint" in result.stderr


def test_release_build_packages_a_declared_type_under_its_own_name(tmp_path):
    config = _project(tmp_path)
    result = _run(["release", "build", "R1", "--from", "qa", "--to", "prod", "--json",
                   "--config", config])
    assert result.exit_code == 0, result.output
    package = (tmp_path / "releases" / "R1")
    files = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    members = [f for f in files if "botBlueprints/" in f]
    assert [m.rsplit("/", 1)[1] for m in members] == ["Greeter.blueprint", "Helper.blueprint"], files
    manifests = [package / f for f in files if f.endswith("package.xml")
                 and "destructive" not in f]
    assert manifests and all("<name>BotBlueprint</name>" in m.read_text() for m in manifests), \
        files


def test_report_shows_a_declared_type_pending_by_component(tmp_path):
    config = _project(tmp_path)
    result = _run(["report", "--json", "--config", config])
    assert result.exit_code == 0, result.output
    [hop] = json.loads(result.stdout)["hops"]
    rows = [(g["type"], r["component"], r["elements"]) for g in hop["groups"] for r in g["rows"]]
    assert rows == [("BotBlueprint", "BotBlueprint:Greeter", []),
                    ("BotBlueprint", "BotBlueprint:Helper", ["greeting Hello \u2192 Welcome"])], hop
