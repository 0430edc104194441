"""`sfenv status` and `sfenv diff` on the three demo orgs (seeds acme-dev, acme-qa, acme-prod):
every seeded difference (sfenv/localorg/seeds/acme/layers.yml) lands in the right class.

- dev (work in progress): new fields, a new role, an OWD change, a new public group, a deleted
  Apex class -> pending dev -> qa;
- qa (the next release): a picklist field, layout, label, classes -> pending qa -> prod;
- prod (a hotfix by Priya Patel, made in production): Account.Region__c length 80 -> 120 and
  the Region_Format validation rule deactivated -> drift on qa -> prod, outside the release.
The project declares each org's environment-specific values (seeds.ENV_VALUES) in sfenv.yml.
"""

from __future__ import annotations

import json

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds import ENV_VALUES
from tests.projects import local_project

SEEDS = {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod"}
VALUES = {env: ENV_VALUES[seed] for env, seed in SEEDS.items()}

DEV_WORK = {
    "CustomField:Account.Customer_Since__c": "added",
    "CustomField:Invoice__c.Discount__c": "added",
    "Role:EMEA_Sales_Manager": "added",
    "CustomObject:Project__c": "modified",  # OWD Private -> Public Read Only
    "Group:Finance_Approvers": "added",
    "ApexClass:InvoicePdfLegacy": "removed",
}
QA_WORK = {
    "CustomField:Invoice__c.Payment_Terms__c": "added",
    "Layout:Invoice__c-Invoice Layout": "modified",
    "CustomLabel:Invoice_Reminder_Subject": "added",
    "ApexClass:InvoiceReminderService": "added",
    "ApexClass:InvoiceReminderServiceTest": "added",
}
PROD_HOTFIX = {"CustomField:Account.Region__c", "ValidationRule:Account.Region_Format"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)
        with local_project(tmp_path_factory.mktemp("demo"), SEEDS, mp, values=VALUES) as project:
            project.pull_all()
            yield project


@pytest.fixture(scope="module")
def status(demo) -> dict:
    return demo.cli_json("status")


def hop(status: dict, source: str, target: str) -> dict[str, dict]:
    [found] = [h for h in status["hops"] if (h["source"], h["target"]) == (source, target)]
    assert found["mode"] == "two-way"  # no promotion or sync point yet
    return {e["component"]: e for e in found["entries"]}


def diff_json(demo, a: str, b: str) -> dict:
    result = demo.cli("diff", a, b, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_dev_work_in_progress_is_pending_from_dev_to_qa(status):
    entries = hop(status, "dev", "qa")
    for component, kind in DEV_WORK.items():
        assert component in entries, f"{component} missing from dev -> qa"
        entry = entries[component]
        assert (entry["status"], entry["change"]["kind"]) == ("pending", kind), entry["reason"]
    assert [c for c, e in entries.items() if e["status"] != "pending"] == []
    assert not set(QA_WORK) & set(entries)  # dev already has qa's release


def test_a_class_deleted_in_dev_is_pending_not_drift(status):
    """Two-way, a component only qa has looks like qa added it; dev's audit trail says dev
    deleted it (after qa last changed it), so promoting dev deletes it: pending."""
    entries = hop(status, "dev", "qa")
    entry = entries["ApexClass:InvoicePdfLegacy"]
    assert entry["status"] == "pending" and "deleted in dev by Marcus Chen" in entry["reason"]
    assert any(row["Action"] == "deletedApexClass" for row in entry["audit"])
    assert entries["ProfileClassAccess:Admin/InvoicePdfLegacy"]["status"] == "pending"


def test_qa_release_is_pending_from_qa_to_prod(status):
    entries = hop(status, "qa", "prod")
    for component, kind in QA_WORK.items():
        entry = entries[component]
        assert (entry["status"], entry["change"]["kind"]) == ("pending", kind), entry["reason"]
        assert entry["outside_release"] is False
    assert entries["Layout:Invoice__c-Invoice Layout"]["change"]["b_modified"]["by"] == "Marcus Chen"
    assert not set(DEV_WORK) & set(entries)  # dev's work has not reached qa


def test_prod_hotfix_is_drift_outside_the_release_by_who_made_it(status):
    entries = hop(status, "qa", "prod")
    drift = {c for c, e in entries.items() if e["status"] == "drift"}
    assert drift == PROD_HOTFIX
    for component in PROD_HOTFIX:
        entry = entries[component]
        assert entry["outside_release"] is True
        assert entry["change"]["a_modified"]["by"] == "Priya Patel"  # a = the target, prod
        assert "outside the release process in prod by Priya Patel" in entry["reason"]
        assert entry["audit"] and {r["CreatedByName"] for r in entry["audit"]} == {"Priya Patel"}
    [qa_prod] = [h for h in status["hops"] if h["target"] == "prod"]
    assert qa_prod["target_is_production"] is True and qa_prod["outside_release"] == 2
    # what promoting qa would do to prod: undo the hotfix (old = prod, new = qa)
    [length] = entries["CustomField:Account.Region__c"]["change"]["elements"]
    assert (length["path"], length["old"], length["new"]) == ("length", "120", "80")
    [active] = entries["ValidationRule:Account.Region_Format"]["change"]["elements"]
    assert (active["path"], active["old"], active["new"]) == ("active", "false", "true")


def test_nothing_is_flagged_outside_the_release_on_a_sandbox_hop(status):
    [dev_qa] = [h for h in status["hops"] if h["target"] == "qa"]
    assert dev_qa["target_is_production"] is False and dev_qa["outside_release"] == 0
    assert (status["totals"]["drift"], status["totals"]["conflict"]) == (2, 0)


def test_owd_change_shows_old_and_new_sharing_model(demo, status):
    entry = hop(status, "dev", "qa")["CustomObject:Project__c"]
    [element] = entry["change"]["elements"]
    assert (element["path"], element["old"], element["new"]) == ("sharingModel", "Private", "Read")
    diff = diff_json(demo, "qa", "dev")
    [change] = [c for c in diff["changes"] if c["component"] == "CustomObject:Project__c"]
    assert [(e["path"], e["old"], e["new"]) for e in change["elements"]] == [
        ("sharingModel", "Private", "Read")]
    assert change["b_modified"]["by"] == "Jamal Wright"


def test_diff_of_an_env_with_itself_is_empty_and_passes_fail_on_diff(demo):
    for env in SEEDS:
        diff = diff_json(demo, env, env)
        assert diff["changes"] == [] and diff["summary"]["total"] == 0
        assert demo.cli("diff", env, env, "--fail-on-diff").exit_code == 0
    assert demo.cli("diff", "qa", "prod", "--fail-on-diff").exit_code == 1


def test_fail_on_drift_exits_1_on_the_demo_orgs(demo):
    assert demo.cli("status").exit_code == 0
    assert demo.cli("status", "--fail-on-drift").exit_code == 1


def test_declared_environment_values_make_no_difference(demo):
    """qa and prod differ in components that only carry env values (endpoints, emails,
    usernames): compared as commits (no env, no values) they differ, only in those values;
    compared as environments they do not appear at all."""
    store = SnapshotStore(demo.root)
    raw = diff_json(demo, store.head("qa"), store.head("prod"))
    declared = set(VALUES["qa"].values()) | set(VALUES["prod"].values())

    def only_values(change: dict) -> bool:
        texts = [str(e["old"]) + " " + str(e["new"]) for e in change["elements"]]
        return change["kind"] == "modified" and bool(texts) and all(
            any(v in t for v in declared) for t in texts)

    value_only = {c["component"] for c in raw["changes"] if only_values(c)}
    assert {"NamedCredential:Acme_Billing", "RemoteSiteSetting:Acme_Billing_API"} <= value_only
    named = {c["component"] for c in diff_json(demo, "qa", "prod")["changes"]}
    assert not value_only & named
    assert named >= PROD_HOTFIX  # the real differences are still there
    assert not value_only & set(hop(demo.cli_json("status"), "qa", "prod"))


def test_hand_change_to_a_field_in_prod_is_drift_by_who_made_it(tmp_path, monkeypatch):
    """A field's own lastModifiedDate moves when it is edited, not its object's: the two-way
    comparison must attribute the field by its own dates (qa's Invoice__c object is newer)."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    envs = {"qa": "acme-qa", "prod": "acme-prod"}
    values = {env: VALUES[env] for env in envs}
    with local_project(tmp_path, envs, monkeypatch, values=values) as project:
        project.orgs["prod"].change(as_user="Lena Novak",
                                    set_field=("CustomField:Invoice__c.Due_Date__c", "required=true"))
        for env in envs:
            assert project.cli("pull", env).exit_code == 0
        entry = hop(project.cli_json("status"), "qa", "prod")["CustomField:Invoice__c.Due_Date__c"]
    assert entry["status"] == "drift" and entry["outside_release"] is True
    assert entry["change"]["a_modified"]["by"] == "Lena Novak"
    assert "by Lena Novak" in entry["reason"]


def test_prod_hotfix_stays_drift_after_a_train_is_promoted_dev_qa_prod(tmp_path, monkeypatch):
    """Each promotion records a sync point; that base must not hide prod's hotfix, which is
    still there and still differs from qa: it stays drift, by who made it, since before it."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with local_project(tmp_path, SEEDS, monkeypatch, values=VALUES) as project:
        for env in SEEDS:
            assert project.cli("pull", env).exit_code == 0
        for args in (("build", "R1", "--from", "dev", "--to", "qa"),
                     ("promote", "R1", "--to", "qa", "--yes"),
                     ("promote", "R1", "--to", "prod", "--yes")):
            result = project.cli("release", *args)
            assert result.exit_code == 0, result.output
        status = project.cli_json("status")
        text = project.cli("status").output
    [qa_prod] = [h for h in status["hops"] if (h["source"], h["target"]) == ("qa", "prod")]
    assert qa_prod["mode"] == "three-way" and qa_prod["base"]["reason"] == "release R1"
    drift = {e["component"]: e for e in qa_prod["entries"] if e["status"] == "drift"}
    assert set(drift) == PROD_HOTFIX
    for entry in drift.values():
        assert entry["outside_release"] is True
        assert "outside the release process in prod by Priya Patel" in entry["reason"]
        assert entry["since_before"] == qa_prod["base"]["when"]
    assert qa_prod["accepted"] == [] and status["totals"]["drift"] == 2
    pending = {e["component"]: e for e in qa_prod["entries"] if e["status"] == "pending"}
    assert set(QA_WORK) <= set(pending)  # qa's release was not in the dev -> qa train
    assert all(pending[c]["since_before"] == qa_prod["base"]["when"] for c in QA_WORK)
    # 7: the two permission entries prod cannot take (what they grant is not there) stay pending
    assert "qa → prod (production): 7 pending, 2 drift, 0 conflict [since sync point of" in text
    assert "CustomField:Account.Region__c  (since before " in text
