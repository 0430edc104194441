"""Promotion safety end to end on local orgs over HTTPS (issue 10): a promotion never overwrites
what the target changed since the train was planned unless told to, and says so before
anything is validated."""

from __future__ import annotations

import json

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.train.train import RELEASES_REF
from tests.projects import copied_project

PERMSET = "PermissionSet:Billing_Manager"


@pytest.fixture
def project(acme_r1, tmp_path, monkeypatch):
    """dev, qa, prod pulled and R1 built (a copy of the session's `acme_r1`)."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with copied_project(acme_r1, tmp_path, monkeypatch) as p:
        yield p


def log_of(project, train: str = "R1") -> list[dict]:
    store = SnapshotStore(project.root)
    return json.loads(store.read_file(store.ref_commit(RELEASES_REF), f"releases/{train}/log.json"))


def label_in_org(project, env: str) -> str:
    project.ok("pull", env)
    store = SnapshotStore(project.root)
    xml = store.read_file(store.head(env), "permissionsets/Billing_Manager.permissionset").decode()
    return xml.split("<label>")[1].split("</label>")[0]


def test_promotion_refuses_to_overwrite_a_prod_hotfix_made_after_the_build(project):
    project.ok("release", "promote", "R1", "--to", "qa")
    project.orgs["prod"].change(as_user="Priya Patel", set_field=(PERMSET, "label=Billing Hotfix"))

    refused = project.cli("release", "promote", "R1", "--to", "prod", "--yes")
    assert refused.exit_code == 1, refused.output
    assert f"conflict: {PERMSET}: changed in the target by Priya Patel" in refused.output
    assert "label Billing Manager → Billing Hotfix" in refused.output
    assert "--overwrite" in refused.output and "Result: refused" in refused.output
    entry = log_of(project)[-1]
    assert (entry["env"], entry["result"], entry["validation_id"]) == ("prod", "refused", "")
    assert [c["component"] for c in entry["conflicts"]] == [PERMSET]
    assert label_in_org(project, "prod") == "Billing Hotfix"  # prod untouched

    done = project.cli("release", "promote", "R1", "--to", "prod", "--yes",
                       "--overwrite", PERMSET)
    assert done.exit_code == 0, done.output
    assert "Overwritten target changes" in done.output
    # said before production changed, although --yes asked nothing
    assert ("1 destructive (deletions): ApexClass:InvoicePdfLegacy? yes (--yes)"
            in done.output)
    entry = log_of(project)[-1]
    assert entry["result"] == "deployed" and entry["conflicts"] == []
    assert [(c["component"], c["changed_by"]) for c in entry["overwrites"]] == [
        (PERMSET, "Priya Patel")]
    assert label_in_org(project, "prod") != "Billing Hotfix"


def test_promotion_to_the_planned_target_refuses_a_change_made_there_after_the_build(project):
    project.orgs["qa"].change(set_field=(PERMSET, "label=Changed In QA"))
    refused = project.cli("release", "promote", "R1", "--to", "qa", "--json")
    assert refused.exit_code == 1
    doc = json.loads(refused.stdout)
    assert doc["entry"]["result"] == "refused"
    assert doc["entry"]["conflicts"][0]["component"] == PERMSET
    assert label_in_org(project, "qa") == "Changed In QA"
    assert project.cli("release", "promote", "R1", "--to", "qa", "--overwrite-all").exit_code == 0


def hop_entries(status: dict, a: str, b: str) -> dict[str, dict]:
    [hop] = [h for h in status["hops"] if (h["source"], h["target"]) == (a, b)]
    return {e["component"]: e for e in hop["entries"]}


def test_pending_rows_after_the_first_hop_name_who_made_the_change_not_the_deploy_user(project):
    project.ok("release", "promote", "R1", "--to", "qa")
    entries = hop_entries(project.cli_json("status"), "qa", "prod")
    field = entries["CustomField:Account.Customer_Since__c"]
    assert field["status"] == "pending"
    assert "by Jamal Wright" in field["reason"], field["reason"]  # who created it in dev
    admin = project.orgs["qa"].server.org.admin.name
    assert admin not in field["reason"]


def test_a_drift_row_lists_only_the_audit_rows_about_its_own_component(project):
    entries = hop_entries(project.cli_json("status"), "qa", "prod")
    rule = entries["ValidationRule:Account.Region_Format"]
    assert [r["Display"] for r in rule["audit"]] == [
        "Changed active flag for Region_Format validation rule on Account from true to false"]
    field = entries["CustomField:Account.Region__c"]
    assert [r["Display"] for r in field["audit"]] == [
        "Changed length of Region (Account) custom field from 80 to 120"]


def test_open_before_steps_survive_a_rollback_and_a_re_promotion(project):
    first = project.cli_json("release", "promote", "R1", "--to", "qa")
    opened = set(first["entry"]["checklist_open"])
    assert opened, "the dev → qa train has 'before' steps from dev's setup changes"
    project.ok("release", "rollback", "R1", "--env", "qa", "--yes")
    again = project.cli_json("release", "promote", "R1", "--to", "qa")
    assert again["entry"]["result"] == "deployed"
    assert set(again["entry"]["checklist_open"]) == opened  # none lost with the rollback


def test_a_field_changed_in_prod_then_in_qa_is_a_conflict_naming_both_authors_and_changes(
        project):
    project.ok("release", "promote", "R1", "--to", "qa")
    project.ok("release", "promote", "R1", "--to", "prod", "--yes")
    field = "CustomField:Account.Customer_Since__c"
    project.orgs["prod"].change(as_user="Priya Patel", set_field=(field, "label=Client Since"))
    project.orgs["qa"].change(as_user="Marcus Chen", set_field=(field, "label=Customer From"))
    project.ok("pull", "prod")
    project.ok("pull", "qa")
    entry = hop_entries(project.cli_json("status"), "qa", "prod")[field]
    assert entry["status"] == "conflict"
    assert "qa by Marcus Chen" in entry["reason"] and "prod by Priya Patel" in entry["reason"]
    assert "label Customer Since → Customer From" in entry["reason"]
    assert "label Customer Since → Client Since" in entry["reason"]


def test_promotion_refuses_when_its_backup_lacks_a_component_of_the_train(project):
    """Issue 13: the backup skipped a member (UNKNOWN_EXCEPTION); deploying would leave a
    rollback that cannot restore it."""
    project.orgs["qa"].faults.configure(unknown_exception_members={PERMSET})
    result = project.cli("release", "promote", "R1", "--to", "qa")
    assert result.exit_code == 3, result.output
    assert f"lacks 1 component of R1 (first: {PERMSET}" in result.output
    entry = log_of(project)[-1]
    assert (entry["result"], entry["validation_id"], entry["deploy_ids"]) == (
        "backup_incomplete", "", [])


def test_checklist_after_the_deploy_is_the_one_frozen_at_promotion_and_stays_tickable(project):
    """Issue 11: after the deploy the checklist used to be recomputed against the org that now
    holds the train, and its steps were gone."""
    before = project.cli_json("checklist", "R1", "--env", "qa")
    promoted = project.cli_json("release", "promote", "R1", "--to", "qa")
    assert promoted["entry"]["result"] == "deployed"
    after = project.cli_json("checklist", "R1", "--env", "qa")
    ids = [s["id"] for s in after["steps"]]
    assert ids == [s["id"] for s in before["steps"]] and ids
    step = next(s["id"] for s in after["steps"] if s["phase"] == "after")
    project.ok("checklist", "done", "R1", step, "--env", "qa", "--by", "Ana Lima")
    project.ok("release", "rollback", "R1", "--env", "qa", "--yes")
    kept = project.cli_json("checklist", "R1", "--env", "qa")
    kept_ids = [s["id"] for s in kept["steps"]]
    # a rollback keeps the checklist, and adds the steps that undo its manual changes
    assert [i for i in kept_ids if not i.startswith("undo.")] == ids
    assert "undo.role-deleted.EMEA_Sales_Manager" in kept_ids
    done = {s["id"]: s for s in kept["steps"] if s.get("done")}
    assert list(done) == [step]


def test_an_accepted_deploy_whose_status_is_lost_is_followed_on_the_next_run_not_resubmitted(
        project):
    """Issue 13: when the status polls of an accepted quick deploy failed, sfenv submitted a
    full deploy of the same package (on Salesforce both would run)."""
    from sfenv.errors import OrgError
    from sfenv.io.org.client import connect
    from sfenv.services.promote.promote import promote

    submitted: list[str] = []

    def counting(env, api_version, *, lose_status=False):
        client = connect(env, api_version)
        real_submit, real_deploy = client.submit_quick_deploy, client.deploy

        def submit(validation_id):
            submitted.append("quick")
            return real_submit(validation_id)

        def deploy(data, *, check_only=False, **kw):
            if not check_only:
                submitted.append("full")
            return real_deploy(data, check_only=check_only, **kw)

        def wait(deploy_id, **_kw):
            raise OrgError("qa: checkDeployStatus: 503 Service Unavailable")
        client.submit_quick_deploy, client.deploy = submit, deploy
        if lose_status:
            client.wait_deploy = wait
        return client

    config, store = project.config(), SnapshotStore(project.root)
    first = promote(config, store, "R1", "qa",
                    connect=lambda e, v: counting(e, v, lose_status=True))
    assert first.entry.result == "deploy_unknown" and submitted == ["quick"]
    [entry] = [e for e in log_of(project) if e["env"] == "qa"]
    assert entry["result"] == "deploy_unknown" and len(entry["deploy_ids"]) == 1
    assert "run the same `sfenv release promote R1 --to qa` again" in entry["error"]

    resumed = promote(config, store, "R1", "qa", connect=counting)
    assert resumed.entry.result == "deployed", resumed.steps
    assert f"resuming the promotion started {entry['started']}: following deploy " \
           f"{entry['deploy_ids'][0]}" in resumed.steps
    assert submitted == ["quick"]  # nothing submitted again
    [final] = [e for e in log_of(project) if e["env"] == "qa"]  # one entry, completed
    assert final["result"] == "deployed" and final["verification"]["ok"]
    assert final["deploy_ids"] == entry["deploy_ids"]


def test_a_second_promotion_of_an_environment_is_refused_before_its_backup(project):
    store = SnapshotStore(project.root)
    with store.lock("qa.promoting"):  # another promotion of qa is running
        result = project.cli("release", "promote", "R1", "--to", "qa")
    assert result.exit_code != 0 and "qa.promoting is locked" in result.output
    assert store.tags("backup/qa/") == {}


def test_a_failed_verification_pull_is_logged_and_the_next_run_verifies_and_finishes(
        project, monkeypatch):
    import sfenv.services.pull
    from sfenv.errors import StoreError
    from sfenv.services.promote.promote import promote

    real_pull = sfenv.services.pull.pull_env

    def busy(*args, **kwargs):
        raise StoreError("environment qa is locked by pid 4242 (a scheduled pull)")

    config, store = project.config(), SnapshotStore(project.root)
    monkeypatch.setattr(sfenv.services.pull, "pull_env", busy)
    first = promote(config, store, "R1", "qa")
    assert first.entry.result == "unverified" and first.entry.deploy_ids
    assert "run the same `sfenv release promote R1 --to qa` again" in first.entry.error
    monkeypatch.setattr(sfenv.services.pull, "pull_env", real_pull)
    again = promote(config, store, "R1", "qa")
    assert again.entry.result == "deployed" and again.entry.verification["ok"]
    assert again.entry.deploy_ids == first.entry.deploy_ids  # followed, not deployed again
    assert [e["result"] for e in log_of(project) if e["env"] == "qa"] == ["deployed"]
