"""The every-type org round-trips: a default pull stores exactly the files the local org serves.

The org holds one component of every registry type (children, content files, bundles, folders,
nested folders and `unfiled$public` included), so a type the listing forgets, a folder it does
not walk or a file the retrieve leaves out shows up here by name.
"""

from __future__ import annotations

from sfenv.core.metadata.registry import default_registry
from sfenv.core.metadata.xmlio import canonicalize
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds.every_type import every_type_files, generate_every_type
from sfenv.localorg.state.inventory import Inventory
from sfenv.localorg.testing import running_org
from sfenv.services.pull.coverage import exclusions
from tests.projects import Project, write_config


def test_default_pull_of_the_every_type_org_holds_every_served_file(tmp_path, monkeypatch):
    registry = default_registry()
    org_dir = tmp_path / "org"
    generate_every_type(org_dir, registry)
    served = Inventory.of_folder(org_dir, registry)
    assert served.unknown == []
    served_types = {cid.type for cid in served.by_component}
    top_level = {t.name for t in registry.all()}
    assert top_level <= served_types, sorted(top_level - served_types)[:10]

    with running_org(org_dir) as org:
        root = tmp_path / "project"
        root.mkdir()
        project = Project(root, write_config(root, {"every": org}, monkeypatch,
                                                  seed_types=False), {"every": org}, {})
        pulled = project.cli_json("pull", "every")

    store = SnapshotStore(root)
    commit = store.head("every")
    snapshot = {p: store.read_blob(b) for p, b in store.files(commit).items()
                if not p.startswith(".sfenv/")}
    excluded = exclusions()  # shipped list: each type there has its reason
    expected = {p: canonicalize(p, served.read(p), registry) for p in served.paths()
                if registry.component_of(p).type not in excluded}
    assert sorted(set(expected) - set(snapshot)) == []
    assert sorted(set(snapshot) - set(expected)) == []
    assert [p for p in expected if snapshot[p] != expected[p]] == []

    totals = pulled["accounting"]["totals"]
    assert totals["missing"] == 0 and totals["skipped"] == 0
    held = [c for c in served.by_component if c.type not in excluded]
    assert totals["listed"] == totals["retrieved"] == len(held)
    assert sorted(pulled["accounting"]["excluded_types"]) == sorted(excluded)
    assert pulled["accounting"]["incomplete"] is None
    assert store.meta(commit)["accounting"]["totals"] == totals


def test_unfiled_folder_and_standard_value_sets_behave_as_in_a_real_org(tmp_path):
    from tests.localorg.md_support import Client_, make_org

    files = every_type_files()
    client = Client_(make_org(tmp_path, files))
    for content, folder_type in (("Report", "ReportFolder"), ("Dashboard", "DashboardFolder"),
                                 ("EmailTemplate", "EmailFolder"), ("Document", "DocumentFolder")):
        folders = sorted(r.fullName for r in client.list((folder_type, None)))
        assert "unfiled$public" not in folders and "Every_Folder" in folders
        unfiled = [r.fullName for r in client.list((content, "unfiled$public"))]
        assert len(unfiled) == 1 and unfiled[0].startswith("unfiled$public/Every1")
    # listMetadata does not return standard value sets; a retrieve by name does
    assert client.list(("StandardValueSet", None)) in (None, [])
    got = client.retrieve_done({"StandardValueSet": ["AccountType", "LeadSource"]})
    assert got.success is not False
    assert [m.problem for m in got.messages or []] == [
        "Entity of type 'StandardValueSet' named 'LeadSource' cannot be found"]
