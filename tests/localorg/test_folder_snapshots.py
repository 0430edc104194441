"""Folder files in snapshots (#25): a pull writes them under the Metadata API's names, a
snapshot taken before is migrated by the next pull in one commit saying so, and a branch
exported in source format from a snapshot reads back as that snapshot (no folder shows as
removed and added)."""

from __future__ import annotations

import pytest

from sfenv.core.metadata.registry import default_registry
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.io.store.stream import BlobId
from sfenv.services.pull.folders_migration import (
    folder_renames,
    mdapi_folder_path,
    migrate_folder_files,
)
from tests.projects import local_project
from tests.source.gitrepo import GitRepo

ACME_FOLDERS = {"dashboards/Billing_Dashboards-meta.xml", "email/Billing_Templates-meta.xml",
                "email/Support_Templates-meta.xml", "reports/Billing_Reports-meta.xml"}
GIT_ENV = "  main:\n    kind: git\n    ref: main\n"


@pytest.mark.parametrize(("old", "new"), [
    ("reports/Sales.reportFolder-meta.xml", "reports/Sales-meta.xml"),
    ("reports/Sales/EMEA.reportFolder-meta.xml", "reports/Sales/EMEA-meta.xml"),
    ("dashboards/Board.dashboardFolder-meta.xml", "dashboards/Board-meta.xml"),
    ("email/Billing.emailFolder-meta.xml", "email/Billing-meta.xml"),
    ("documents/Brand.documentFolder-meta.xml", "documents/Brand-meta.xml"),
    ("reports/Sales-meta.xml", None),
    ("reports/Sales/Pipeline.report", None),
    ("documents/Brand/logo.png-meta.xml", None),
    ("email/Billing/Invoice.email-meta.xml", None),
    ("classes/Foo.cls-meta.xml", None),
])
def test_which_paths_are_folder_files_under_their_source_name(old, new):
    assert mdapi_folder_path(old, default_registry()) == new


def _old_names(store: SnapshotStore, env: str) -> str:
    """Rewrite the head as a snapshot taken before #25: folder files under source names."""
    head = store.head(env)
    files = store.files(head)
    registry = default_registry()
    old = {}
    for path in ACME_FOLDERS:
        mtype = registry.get(registry.component_of(path).type)
        old[path.removesuffix("-meta.xml") + f".{mtype.suffix}-meta.xml"] = BlobId(files[path])
    return store.write_ref_commit(store.env_ref(env), old, store.message(head),
                                  expected_old=head, base_commit=head,
                                  removed=sorted(ACME_FOLDERS))


def test_a_pull_writes_folder_files_under_metadata_api_names(tmp_path, monkeypatch):
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch, production=None,
                       seed_types=False) as project:
        project.ok("pull", "prod")
        files = SnapshotStore(project.root).files(SnapshotStore(project.root).head("prod"))
        assert set(files) >= ACME_FOLDERS
        assert not [p for p in files if p.endswith("Folder-meta.xml")]


def test_the_next_pull_migrates_an_old_snapshot_in_one_commit(tmp_path, monkeypatch):
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch, production=None,
                       seed_types=False) as project:
        project.ok("pull", "prod")
        store = SnapshotStore(project.root)
        before = _old_names(store, "prod")
        project.ok("pull", "prod")
        store = SnapshotStore(project.root)
        log = store.log("prod", limit=5)
        migration = next(e for e in log if "migrated" in e.subject)
        assert "migrated 4 folder files to Metadata API names" in migration.subject
        assert migration.parents == (before,)
        assert set(store.meta(migration.commit)["folder_migration"]["renamed"].values()) == \
            ACME_FOLDERS
        # the migration only renames: same blobs, nothing else touched
        changes = store.changed(before, migration.commit)
        assert {c.path for c in changes} == ACME_FOLDERS | set(
            folder_renames(store.files(before), default_registry()))
        # and the pull after it sees no folder change at all
        head = store.head("prod")
        assert not [c.path for c in store.changed(migration.commit, head)
                    if c.path.endswith("-meta.xml") and c.path.split("/")[0] in
                    ("reports", "dashboards", "email", "documents")]
        assert set(store.files(head)) >= ACME_FOLDERS
        # a third pull has nothing left to migrate (and the org did not change: same head)
        project.ok("pull", "prod")
        store = SnapshotStore(project.root)
        assert store.head("prod") == head
        assert sum("migrated" in e.subject for e in store.log("prod", limit=10)) == 1


def test_migrating_a_snapshot_without_old_names_writes_nothing(tmp_path, monkeypatch):
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch, production=None,
                       seed_types=False) as project:
        project.ok("pull", "prod")
        store = SnapshotStore(project.root)
        head = store.head("prod")
        assert migrate_folder_files(store, "prod", default_registry()) == head
        assert migrate_folder_files(store, "nothing-yet", default_registry()) is None


def test_a_branch_exported_in_source_format_diffs_empty_against_its_snapshot(
        tmp_path, monkeypatch):
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch, production=None,
                       path=["main", "prod"]) as project:
        text = project.config_path.read_text()
        project.config_path.write_text(text.replace("environments:\n",
                                                    "environments:\n" + GIT_ENV, 1))
        repo = GitRepo.__new__(GitRepo)
        repo.root = project.root
        repo.git("init", "-q", "-b", "main")
        repo.write(".gitignore", "releases/\n")
        project.ok("pull", "prod")
        project.ok("export", "prod", str(project.root), "--format", "source")
        exported = {p.name for p in (project.root / "force-app").rglob("*Folder-meta.xml")}
        assert "Billing_Reports.reportFolder-meta.xml" in exported
        assert not [n for n in exported if n.count("Folder") > 1]
        repo.commit("prod as source", author="Ann Admin")
        project.ok("pull", "main")
        diff = project.cli_json("diff", "main", "prod")
        assert diff["changes"] == [], [c["component"] for c in diff["changes"]]
