"""End to end: a branch of an sfdx project is the first stage of the path. A train is built
from it and promoted to two local orgs (over HTTPS) exactly like a train built from an org:
status shows the branch's change as pending, the checklist and the promotion log work, and
after the promotions the orgs hold the branch's content."""

from __future__ import annotations

import json

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from tests.projects import local_project
from tests.source.gitrepo import NEW_FIELD, PERMSET, GitRepo

GIT_ENV = "  main:\n    kind: git\n    ref: main\n    owner: Dev Team\n"


@pytest.fixture
def branch_project(tmp_path, monkeypatch):
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with local_project(tmp_path, {"qa": "acme-qa", "prod": "acme-prod"}, monkeypatch,
                       path=["main", "qa", "prod"]) as project:
        text = project.config_path.read_text().replace("environments:\n", "environments:\n" + GIT_ENV, 1)
        project.config_path.write_text(text)
        repo = GitRepo.__new__(GitRepo)
        repo.root = project.root
        repo.git("init", "-q", "-b", "main")
        repo.write(".gitignore", "releases/\n")
        project.ok("pull", "qa")
        project.ok("pull", "prod")
        # the team's repository starts as qa's metadata in source format
        project.ok("export", "qa", str(project.root), "--format", "source")
        repo.commit("qa as source", author="Ann Admin")
        repo.write("force-app/main/default/objects/Account/fields/Fleet_Size__c.field-meta.xml",
                   NEW_FIELD)
        repo.write("force-app/main/default/permissionsets/Fleet_Manager.permissionset-meta.xml",
                   PERMSET)
        repo.commit("Account.Fleet_Size__c", author="Ben Builder")
        yield project, repo


@pytest.mark.slow  # starts two local orgs
def test_a_train_built_from_a_branch_reaches_both_orgs(branch_project):
    project, _repo = branch_project
    project.ok("pull", "main")
    status = project.cli_json("status")
    hop = next(h for h in status["hops"] if (h["source"], h["target"]) == ("main", "qa"))
    pending = {e["component"]: e for e in hop["entries"] if e["status"] == "pending"}
    assert "CustomField:Account.Fleet_Size__c" in pending, hop
    assert "Ben Builder" in json.dumps(pending["CustomField:Account.Fleet_Size__c"]), pending

    plan = project.cli_json("release", "plan", "R1", "--from", "main", "--to", "qa")
    assert "CustomField:Account.Fleet_Size__c" in json.dumps(plan)
    project.ok("release", "build", "R1", "--from", "main", "--to", "qa")
    steps = project.cli_json("checklist", "R1", "--env", "qa")["steps"]
    assert [s["rule"] for s in steps if "Fleet_Manager" in json.dumps(s)] == ["permset-assign"]
    project.ok("release", "promote", "R1", "--to", "qa")
    project.ok("release", "promote", "R1", "--to", "prod", "--yes")

    store = SnapshotStore(project.root)
    for env in ("qa", "prod"):
        account = store.read_file(store.head(env), "objects/Account.object").decode()
        assert "<fullName>Fleet_Size__c</fullName>" in account, env
        assert store.read_file(store.head(env), "permissionsets/Fleet_Manager.permissionset")
    log = project.cli_json("release", "status", "R1")
    assert "qa" in json.dumps(log) and "prod" in json.dumps(log)
    status = project.cli_json("status")
    hop = next(h for h in status["hops"] if (h["source"], h["target"]) == ("main", "qa"))
    assert not [e for e in hop["entries"] if e["component"] == "CustomField:Account.Fleet_Size__c"]
