"""Release trains end to end against three local orgs over HTTPS: build from dev, promote to qa
then prod, roll prod back; stage skipping refused unless --hotfix (and then tracked)."""

from __future__ import annotations

import json

import pytest

from sfenv.core.metadata.ziputil import write_zip
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds import ENV_VALUES
from sfenv.services.train.train import RELEASES_REF
from tests.projects import copied_project


@pytest.fixture
def orgs(acme_r1, tmp_path, monkeypatch):
    """dev, qa, prod pulled and R1 built (a copy of the session's `acme_r1`)."""
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)  # requests would let them override ca_file
    with copied_project(acme_r1, tmp_path, monkeypatch) as project:
        yield project


def log_of(project, train: str = "R1") -> list[dict]:
    store = SnapshotStore(project.root)
    return json.loads(store.read_file(store.ref_commit(RELEASES_REF), f"releases/{train}/log.json"))


def test_promoting_to_prod_before_qa_is_refused(orgs):
    result = orgs.cli("release", "promote", "R1", "--to", "prod", "--yes")
    assert result.exit_code == 2
    assert "has not been deployed to qa" in result.output
    assert SnapshotStore(orgs.root).tags("backup/") == {}  # refused before anything ran


def test_production_needs_yes_without_a_terminal(orgs):
    result = orgs.cli("release", "promote", "R1", "--to", "prod", "--hotfix")
    assert result.exit_code == 2 and "--yes" in result.output


def test_train_goes_dev_qa_prod_and_rollback_restores_the_backup(orgs):
    store = SnapshotStore(orgs.root)
    result = orgs.cli("release", "promote", "R1", "--to", "qa")
    assert result.exit_code == 0, result.output
    result = orgs.cli("release", "promote", "R1", "--to", "prod", "--yes")
    assert result.exit_code == 0, result.output
    log = log_of(orgs)
    assert [(e["env"], e["result"]) for e in log] == [("qa", "deployed"), ("prod", "deployed")]
    assert all(e["verification"]["ok"] for e in log), log
    prod_entry = log[-1]
    assert prod_entry["backup_tag"] in store.tags("backup/prod/")
    assert "release/R1" in store.tags("release/")
    files = store.files(store.ref_commit(RELEASES_REF))
    assert "releases/R1/rollback/prod/package.zip" in files

    result = orgs.cli("release", "rollback", "R1", "--env", "prod", "--yes")
    assert result.exit_code == 0, result.output
    assert log_of(orgs)[-1]["result"] == "rolled_back"
    backup = store.files(prod_entry["backup_commit"])
    deployed = store.files(prod_entry["after_commit"])
    now = store.files(store.head("prod"))
    touched = [p for p in set(backup) | set(deployed)
               if backup.get(p) != deployed.get(p) and not p.startswith(".sfenv/")]
    assert touched, "the train changed nothing in prod"
    assert {p: now.get(p) for p in touched} == {p: backup.get(p) for p in touched}
    # where R1 stands, with dates: prod rolled back (#22 item 7), in JSON and in the text
    [train] = orgs.cli_json("release", "status", "R1")["trains"]
    states = {e["env"]: e for e in train["envs"]}
    rolled_on = log_of(orgs)[-1]["finished"][:10]
    assert states["prod"]["label"] == f"rolled back ({rolled_on})"
    assert states["qa"]["label"].startswith("deployed (") and states["dev"]["label"] == "source"
    assert f"rolled back ({rolled_on})" in orgs.cli("release", "status", "R1").output


def test_hotfix_to_prod_is_recorded_and_open_until_qa_has_it(orgs):
    result = orgs.cli("release", "promote", "R1", "--to", "prod", "--hotfix", "--yes")
    assert result.exit_code == 0, result.output
    assert log_of(orgs)[-1]["hotfix"] is True
    status = orgs.cli_json("release", "status", "R1")
    assert status["open_hotfixes"] == [{"train": "R1", "envs": ["qa"]}]
    assert orgs.cli("release", "promote", "R1", "--to", "qa").exit_code == 0
    assert orgs.cli_json("release", "status", "R1")["open_hotfixes"] == []


def test_failed_validation_is_logged_and_leaves_the_target_untouched(orgs):
    """The org rejects the validation (a layout naming a field qa lacks): nothing is deployed,
    the log says why, the CLI-facing result carries problem, file and line."""
    from sfenv.io.org.client import DeployResult, connect
    from sfenv.services.promote.promote import promote
    from sfenv.views.release import promote_text

    calls = []

    def rejecting(env, api_version):
        client = connect(env, api_version)

        def deploy(data, *, check_only=False, test_level=None, **_kw):
            calls.append(check_only)
            return DeployResult("0Af000000000001", "Failed", False, check_only, [], [{
                "problem": "Field Invoice__c.Discount__c does not exist",
                "fileName": "layouts/Invoice__c-Invoice Layout.layout", "lineNumber": "14",
                "fullName": "Invoice__c-Invoice Layout", "componentType": "Layout"}])
        client.deploy = deploy
        return client

    config, store = orgs.config(), SnapshotStore(orgs.root)
    result = promote(config, store, "R1", "qa", connect=rejecting)
    assert not result.ok and calls == [True]  # validated only, never deployed
    entry = log_of(orgs)[-1]
    assert entry["result"] == "validation_failed"
    assert entry["failures"][0]["problem"] == "Field Invoice__c.Discount__c does not exist"
    text = promote_text(result)
    assert "layouts/Invoice__c-Invoice Layout.layout:14" in text
    backup = store.files(entry["backup_commit"])
    assert orgs.cli("pull", "qa").exit_code == 0
    assert store.files(store.head("qa")) == backup


def endpoint_of(store, env: str) -> str:
    xml = store.read_file(store.head(env), "namedCredentials/Acme_Billing.namedCredential")
    return xml.decode().split("<endpoint>")[1].split("</endpoint>")[0]


def test_env_values_are_not_released_and_are_substituted_per_target(orgs):
    """dev, qa and prod differ in endpoints, emails and usernames declared as `values:`: the
    train leaves them alone; a real change to the named credential carries a placeholder and
    reaches qa with qa's endpoint."""
    from sfenv.io.org.client import connect

    store = SnapshotStore(orgs.root)
    train = json.loads(store.read_file(store.ref_commit(RELEASES_REF), "releases/R1/train.json"))
    env_typed = [c for c in train["components"] + train["deletes"]
                 if c.split(":")[0] in ("NamedCredential", "RemoteSiteSetting", "Queue",
                                        "WorkflowAlert", "Dashboard", "AssignmentRule")]
    assert env_typed == []
    assert train["placeholders"] == {}
    assert orgs.cli("release", "promote", "R1", "--to", "qa").exit_code == 0
    assert endpoint_of(store, "qa") == ENV_VALUES["acme-qa"]["billing_endpoint"]

    # a real change in dev: the named credential's label (its endpoint stays dev's)
    config = orgs.config()
    dev_xml = store.read_file(store.head("dev"), "namedCredentials/Acme_Billing.namedCredential")
    changed = dev_xml.replace(b"<label>Acme Billing</label>", b"<label>Acme Billing v2</label>")
    assert changed != dev_xml
    package = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="http://soap.sforce.com/'
               b'2006/04/metadata"><types><members>Acme_Billing</members><name>NamedCredential'
               b'</name></types><version>62.0</version></Package>\n')
    client = connect(config.env("dev"), config.api_version)
    deployed = client.deploy(write_zip({"package.xml": package,
                                        "namedCredentials/Acme_Billing.namedCredential": changed}),
                             check_only=False, test_level="NoTestRun")
    assert deployed.success, deployed
    assert orgs.cli("pull", "dev").exit_code == 0
    result = orgs.cli("release", "build", "R2")
    assert result.exit_code == 0, result.output
    r2 = json.loads(store.read_file(store.ref_commit(RELEASES_REF), "releases/R2/train.json"))
    # (PermissionSet:Billing_Manager comes back too: R1's partial permission set replaced qa's)
    assert "NamedCredential:Acme_Billing" in r2["components"]
    assert r2["placeholders"] == {"billing_endpoint": ["NamedCredential:Acme_Billing"]}

    # qa does not declare the value: refused before the backup, naming placeholder and env
    yml = orgs.root / "sfenv.yml"
    original = yml.read_text()
    qa_endpoint = ENV_VALUES["acme-qa"]["billing_endpoint"]
    line = f'      billing_endpoint: "{qa_endpoint}"\n'
    assert line in original
    yml.write_text(original.replace(line, "", 1))
    backups = store.tags("backup/")
    result = orgs.cli("release", "promote", "R2", "--to", "qa")
    assert result.exit_code == 2
    assert "{{billing_endpoint}}" in result.output and "NamedCredential:Acme_Billing" in result.output
    assert "qa declares no value" in result.output
    assert store.tags("backup/") == backups
    yml.write_text(original)

    result = orgs.cli("release", "promote", "R2", "--to", "qa")
    assert result.exit_code == 0, result.output
    qa_xml = store.read_file(store.head("qa"), "namedCredentials/Acme_Billing.namedCredential")
    assert b"<label>Acme Billing v2</label>" in qa_xml
    assert endpoint_of(store, "qa") == qa_endpoint
    entry = log_of(orgs, "R2")[-1]
    assert entry["verification"]["ok"] and entry["package_digests"][0].startswith("sha256:")
