"""What users see when Salesforce says no: limits, timeouts, a rejected validation.

Every case must leave things as they were (the env ref unmoved, the target org unchanged) and
say why in one line with exit code 3.
"""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from tests.projects import local_project


def org_digest(data_dir) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file() and ".localorg" not in p.parts):
        digest.update(str(path.relative_to(data_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def prod(tmp_path, monkeypatch):
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch,
                       extra="  http_timeout_s: 1") as project:
        yield project


def test_request_limit_exceeded_mid_pull_leaves_the_ref_unmoved(prod):
    assert prod.cli("pull", "prod").exit_code == 0
    before = SnapshotStore(prod.root).head("prod")
    prod.orgs["prod"].change(as_user="Priya Patel", set_field=("CustomField:Account.Region__c", "length=99"))
    prod.orgs["prod"].faults.configure(request_limit=12)
    result = prod.cli("pull", "prod", "--full")
    assert result.exit_code == 3
    assert "REQUEST_LIMIT_EXCEEDED" in result.output
    assert SnapshotStore(prod.root).head("prod") == before


def test_an_org_that_does_not_answer_in_time_is_a_clear_network_error(prod):
    prod.orgs["prod"].faults.configure(latency_ms=1500)
    result = prod.cli("pull", "prod")
    assert result.exit_code == 3
    assert "cannot reach" in result.output and "Timeout" in result.output
    assert SnapshotStore(prod.root).head("prod") is None


@pytest.fixture(scope="module")
def acme(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp, local_project(
            tmp_path_factory.mktemp("acme"),
            {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod"}, mp) as project:
        project.pull_all()
        project.ok("release", "build", "R1", "--from", "dev", "--to", "qa")
        yield project


def test_prod_checklist_names_owd_role_group_members_and_the_hand_made_setup_change(acme):
    steps = {s["id"]: s for s in acme.cli_json("checklist", "R1", "--env", "prod")["steps"]}
    owd = steps["owd.Project__c"]
    assert owd["phase"] == "before" and any("Private → Read" in d for d in owd["details"])
    role = steps["role-new.EMEA_Sales_Manager"]
    assert "VP, Sales" in role["title"] or any("VP_Sales" in d for d in role["details"])
    members = " ".join(steps["group-members.Finance_Approvers"]["details"])
    assert "elena.garcia@acme.example" in members and "elena.garcia@acme.example.dev" in members
    audit = [s for s in steps.values() if s["rule"] == "audit"]
    assert any("Activated currency EUR" in (s["title"] + " ".join(s["details"])) for s in audit)
    assert all(s["owner"] == "Prod Owner" for s in steps.values())
    # the train deletes InvoicePdfLegacy, which removes every profile's access to it: no
    # "revoke by hand" step for those entries (issue 26), and nothing "kept manual by policy"
    assert not [s for s in steps.values() if "InvoicePdfLegacy" in s["title"]
                and s["rule"] in ("manual", "manual-revoke")]
    assert not [s for s in steps.values() if "by policy" in s.get("why", "")]


def test_a_validation_rejected_by_the_org_changes_nothing_and_is_logged(acme):
    qa = acme.orgs["qa"]
    before = org_digest(qa.data_dir)
    qa.faults.configure(deploy_failures={
        "CustomField:Account.Customer_Since__c": "Customer_Since__c: injected failure for the test"})
    try:
        result = acme.cli("release", "promote", "R1", "--to", "qa", "--yes")
    finally:
        qa.faults.configure(deploy_failures={})
    assert result.exit_code == 3, result.output
    assert "injected failure for the test" in result.output
    assert "objects/Account.object" in result.output
    assert org_digest(qa.data_dir) == before
    log = json.loads((acme.root / "releases" / "R1" / "log.json").read_text())
    assert log[-1]["env"] == "qa" and log[-1]["result"] != "deployed"
    assert "injected failure" in json.dumps(log[-1]["failures"])
    again = acme.cli("release", "promote", "R1", "--to", "qa", "--yes")
    assert again.exit_code == 0, again.output
    # a permission set deploys whole (API 40+): qa must hold dev's set, not just the changed entries
    store = SnapshotStore(acme.root)
    path = "permissionsets/Billing_Manager.permissionset"
    dev = store.read_file(store.head("dev"), path).decode().replace("@acme.example.dev", "@acme.example")
    qa_now = store.read_file(store.head("qa"), path).decode().replace("@acme.example.qa", "@acme.example")
    assert qa_now == dev


def test_ticked_steps_are_committed_and_survive_losing_the_working_tree_file(acme):
    done = acme.cli("checklist", "done", "R1", "owd.Project__c", "--env", "prod", "--by", "Ana Lima")
    assert done.exit_code == 0, done.output
    local = acme.root / "releases" / "R1" / "checklist-prod.json"
    local.unlink()  # as on a fresh clone: only the releases ref has it
    steps = {s["id"]: s for s in acme.cli_json("checklist", "R1", "--env", "prod")["steps"]}
    assert steps["owd.Project__c"]["done"] is True
    assert steps["owd.Project__c"]["done_by"] == "Ana Lima"
    log = subprocess.run(["git", "log", "--format=%s", "refs/heads/sfenv/releases"], cwd=acme.root,
                         capture_output=True, text=True, check=True).stdout
    assert "sfenv checklist done R1 → prod: owd.Project__c by Ana Lima" in log


def test_strict_promotion_is_refused_while_before_steps_are_open(acme):
    prod = acme.orgs["prod"]
    before = org_digest(prod.data_dir)
    result = acme.cli("release", "promote", "R1", "--to", "prod", "--hotfix", "--strict", "--yes")
    assert result.exit_code == 2, result.output
    assert "'before' checklist steps are open" in result.output
    assert "sfenv checklist done" in result.output
    assert org_digest(prod.data_dir) == before
