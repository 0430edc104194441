"""The guard at the level the diff works (issue 22 items 1, 2, 8): children of objects,
permission entries of a permission set the train deploys whole, add against add, known
drift, plan-time conflicts, and a target never pulled before the build. Local orgs, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfenv.core.metadata.xmlio import parse_xml, write_xml
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds import ENV_VALUES
from sfenv.services.train.train import RELEASES_REF
from tests.projects import copied_project, local_project

SEEDS = {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod"}
RULE = "ValidationRule:Invoice__c.Due_Date_After_Invoice_Date"
TOTAL = "CustomField:Invoice__c.Total_Amount__c"
SCORE = "CustomField:Account.Annual_Score__c"


@pytest.fixture
def project(acme_pulled, tmp_path, monkeypatch):
    """dev, qa, prod pulled (a copy of the session's `acme_pulled`)."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with copied_project(acme_pulled, tmp_path, monkeypatch) as p:
        yield p


def log_of(project, train: str = "R1") -> list[dict]:
    store = SnapshotStore(project.root)
    return json.loads(store.read_file(store.ref_commit(RELEASES_REF), f"releases/{train}/log.json"))


def org_file(project, env: str, rel: str) -> str:
    project.ok("pull", env)
    store = SnapshotStore(project.root)
    return store.read_file(store.head(env), rel).decode()


def edit_org(project, env: str, rel: str, edit, touched: list[str], user: str) -> None:
    """A hand change the local org's `change` command cannot make (an added element)."""
    from sfenv.core.metadata.ids import ComponentId

    org = project.orgs[env].server.org
    with org.lock:
        path = Path(org.metadata_dir) / rel
        root = parse_xml(path.read_bytes(), rel)
        edit(root)
        path.write_bytes(write_xml(root))
        org.touch_components([ComponentId.parse(c) for c in touched], org.user_by_name(user))
        org.save()


def add_element(xml: str):
    def edit(root) -> None:
        root.append(parse_xml(xml.encode(), "added"))
    return edit


def test_child_hotfixes_in_prod_refuse_and_naming_the_object_covers_neither(project):
    project.orgs["dev"].change(as_user="Marcus Chen",
                               set_field=(RULE, "errorMessage=Due date before invoice date."))
    project.orgs["dev"].change(as_user="Marcus Chen", set_field=(TOTAL, "label=Total (net)"))
    project.ok("pull", "dev")
    project.ok("release", "build", "R1")
    project.ok("release", "promote", "R1", "--to", "qa")
    project.orgs["prod"].change(as_user="Priya Patel",
                                set_field=(RULE, "errorMessage=Prod hotfix message."))
    project.orgs["prod"].change(as_user="Priya Patel", set_field=(TOTAL, "label=Total (gross)"))

    refused = project.cli("release", "promote", "R1", "--to", "prod", "--yes",
                          "--overwrite", "CustomObject:Project__c")
    assert refused.exit_code == 1, refused.output
    assert f"conflict: {RULE}: changed in the target by Priya Patel" in refused.output
    assert f"conflict: {TOTAL}: changed in the target by Priya Patel" in refused.output
    assert "Result: refused" in refused.output
    entry = log_of(project)[-1]
    assert (entry["result"], entry["overwrites"]) == ("refused", [])
    assert sorted(c["component"] for c in entry["conflicts"]) == [TOTAL, RULE]
    assert "Prod hotfix message." in org_file(project, "prod", "objects/Invoice__c.object")

    done = project.cli("release", "promote", "R1", "--to", "prod", "--yes",
                       "--overwrite", RULE, "--overwrite", TOTAL)
    assert done.exit_code == 0, done.output
    entry = log_of(project)[-1]
    assert entry["result"] == "deployed"
    assert sorted((c["component"], c["changed_by"]) for c in entry["overwrites"]) == [
        (TOTAL, "Priya Patel"), (RULE, "Priya Patel")]
    changelog = project.cli("changelog", "prod")
    assert RULE in changelog.output and TOTAL in changelog.output, changelog.output


def test_overwrite_all_records_every_child_it_overwrote(project):
    project.orgs["dev"].change(set_field=(RULE, "errorMessage=Dev text."))
    project.orgs["dev"].change(set_field=(TOTAL, "label=Total (dev)"))
    project.ok("pull", "dev")
    project.ok("release", "build", "R1")
    project.orgs["qa"].change(as_user="Tom Becker", set_field=(RULE, "errorMessage=QA text."))
    project.orgs["qa"].change(as_user="Tom Becker", set_field=(TOTAL, "label=Total (qa)"))
    done = project.cli_json("release", "promote", "R1", "--to", "qa", "--overwrite-all")
    assert done["entry"]["result"] == "deployed"
    assert sorted(c["component"] for c in done["entry"]["overwrites"]) == [TOTAL, RULE]


def test_a_permission_entry_added_by_hand_in_a_permission_set_the_train_replaces(project):
    project.ok("release", "build", "R1")  # carries Billing_Manager whole (new field entries)
    access = "PermissionSetClassAccess:Billing_Manager/AccountScoring"
    edit_org(project, "qa", "permissionsets/Billing_Manager.permissionset", add_element(
        '<classAccesses xmlns="http://soap.sforce.com/2006/04/metadata">'
        '<apexClass>AccountScoring</apexClass><enabled>true</enabled></classAccesses>'),
        ["PermissionSet:Billing_Manager"], "Tom Becker")
    refused = project.cli("release", "promote", "R1", "--to", "qa")
    assert refused.exit_code == 1, refused.output
    assert f"conflict: {access}" in refused.output
    assert "<apexClass>AccountScoring</apexClass>" in org_file(
        project, "qa", "permissionsets/Billing_Manager.permissionset")
    done = project.cli_json("release", "promote", "R1", "--to", "qa", "--overwrite", access)
    assert done["entry"]["result"] == "deployed"
    assert [c["component"] for c in done["entry"]["overwrites"]] == [access]


def test_a_field_added_by_hand_in_the_target_that_the_train_also_adds(project):
    project.ok("release", "build", "R1")  # adds Invoice__c.Discount__c
    discount = "CustomField:Invoice__c.Discount__c"
    edit_org(project, "qa", "objects/Invoice__c.object", add_element(
        '<fields xmlns="http://soap.sforce.com/2006/04/metadata"><fullName>Discount__c'
        '</fullName><label>Discount (qa)</label><length>20</length><type>Text</type></fields>'),
        ["CustomObject:Invoice__c"], "Tom Becker")
    refused = project.cli("release", "promote", "R1", "--to", "qa")
    assert refused.exit_code == 1, refused.output
    assert f"conflict: {discount}" in refused.output
    assert "Discount (qa)" in org_file(project, "qa", "objects/Invoice__c.object")


def test_a_conflict_known_at_plan_time_is_repeated_by_build_and_refused_at_promote(project):
    project.ok("release", "build", "R1")
    project.ok("release", "promote", "R1", "--to", "qa")
    project.orgs["qa"].change(as_user="Tom Becker", set_field=(SCORE, "label=Score (qa)"))
    project.orgs["dev"].change(as_user="Marcus Chen", set_field=(SCORE, "label=Score (dev)"))
    project.ok("pull", "dev")
    project.ok("pull", "qa")
    plan = project.cli("release", "plan", "R2")
    assert "would overwrite qa's change by Tom Becker" in plan.output, plan.output
    built = project.cli("release", "build", "R2")
    assert built.exit_code == 0, built.output
    assert "would overwrite qa's change by Tom Becker" in built.output, built.output
    refused = project.cli("release", "promote", "R2", "--to", "qa")
    assert refused.exit_code == 1, refused.output
    assert f"conflict: {SCORE}" in refused.output
    assert "Score (qa)" in org_file(project, "qa", "objects/Account.object")
    done = project.cli_json("release", "promote", "R2", "--to", "qa", "--overwrite", SCORE)
    assert done["entry"]["result"] == "deployed"
    assert [c["component"] for c in done["entry"]["overwrites"]] == [SCORE]


def test_a_prod_hotfix_already_in_prods_snapshot_at_build_time_must_be_named(project):
    project.orgs["prod"].change(as_user="Priya Patel",
                                set_field=(RULE, "errorMessage=Prod hotfix message."))
    project.ok("pull", "prod")  # status shows it as drift before the train exists
    project.orgs["dev"].change(as_user="Marcus Chen",
                               set_field=(RULE, "errorMessage=Dev message."))
    project.ok("pull", "dev")
    project.ok("release", "build", "R1")
    project.ok("release", "promote", "R1", "--to", "qa")
    refused = project.cli("release", "promote", "R1", "--to", "prod", "--yes")
    assert refused.exit_code == 1, refused.output
    assert f"conflict: {RULE}: changed in the target by Priya Patel" in refused.output
    assert "Prod hotfix message." in org_file(project, "prod", "objects/Invoice__c.object")


def test_a_target_never_pulled_before_the_build_is_guarded_against_its_backup(
        tmp_path, monkeypatch):
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    values = {env: ENV_VALUES[seed] for env, seed in SEEDS.items()}
    with local_project(tmp_path, SEEDS, monkeypatch, values=values) as project:
        project.ok("pull", "dev")
        project.ok("pull", "qa")
        project.orgs["dev"].change(as_user="Marcus Chen",
                                   set_field=(RULE, "errorMessage=Dev message."))
        project.ok("pull", "dev")
        project.ok("release", "build", "R1")
        project.ok("release", "promote", "R1", "--to", "qa")
        project.orgs["prod"].change(as_user="Priya Patel",
                                    set_field=(RULE, "errorMessage=Prod hotfix message."))
        refused = project.cli("release", "promote", "R1", "--to", "prod", "--yes")
        assert refused.exit_code == 1, refused.output
        assert f"conflict: {RULE}" in refused.output
        assert "no snapshot of prod before this promotion" in refused.output


def test_permission_entries_of_components_prod_lacks_are_left_out_and_listed(project):
    scope = ("--from", "qa", "--to", "prod", "--include", "PermissionSet:Billing_Manager")
    left = ["PermissionSetClassAccess:Billing_Manager/InvoiceReminderService",
            "PermissionSetFieldPermission:Billing_Manager/Invoice__c.Payment_Terms__c"]
    plan = project.cli("release", "plan", "R9", *scope)
    assert "Permission entries left out of the package (2):" in plan.output, plan.output
    for entry in left:
        assert f"  - {entry} (not deployed: no " in plan.output
        assert f"  + {entry}" not in plan.output  # not promised as added
    assert "  = PermissionSetClassAccess:Billing_Manager/InvoiceService" in plan.output
    built = project.cli("release", "build", "R9", *scope)
    assert built.exit_code == 0, built.output
    notes = (project.root / "releases" / "R9" / "RELEASE_NOTES.md").read_text()
    assert "## Permission entries left out (2)" in notes and left[0] in notes
    assert "PermissionSetClassAccess:Billing_Manager/InvoiceService" in notes
    done = project.cli("release", "promote", "R9", "--to", "prod", "--yes", "--hotfix")
    assert done.exit_code == 0, done.output  # Salesforce (and the local org) would reject them
    xml = org_file(project, "prod", "permissionsets/Billing_Manager.permissionset")
    assert "InvoiceReminderService" not in xml and "InvoiceService" in xml
