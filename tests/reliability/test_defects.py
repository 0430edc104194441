"""The pull-side defects of issues 13 and 10, one test each, named for what the user sees."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import pytest
from lxml import etree

from sfenv.core.metadata.package_xml import Package, write_package
from sfenv.core.metadata.ziputil import write_zip
from sfenv.errors import DeployUnknownError, OrgError
from sfenv.io.org import deploy as deploy_call
from sfenv.io.org.client import connect
from sfenv.io.org.soap import HttpError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records.org_identity import refresh_events
from tests.projects import local_project, write_config
from tests.reliability.kit import complete, error_line, untouched


def test_request_limit_in_a_backup_is_exit_3_not_an_empty_snapshot(clean_dev):
    project, _ = clean_dev
    store = SnapshotStore(project.root)
    before, tags = store.head("dev"), store.tags("backup/")
    project.orgs["dev"].faults.configure(request_limit=26)
    started = time.monotonic()
    line = untouched(project.root, "dev", before, project.cli("backup", "dev", "--quiet"), 3)
    assert "REQUEST_LIMIT_EXCEEDED" in line and "24-hour" in line
    assert time.monotonic() - started < 60, "the pull went on bisecting after the limit"
    assert store.tags("backup/") == tags


def test_unknown_exception_member_is_not_read_as_deleted_by_the_next_diff(clean_dev):
    project, _ = clean_dev
    before = SnapshotStore(project.root).head("dev")
    project.orgs["dev"].faults.configure(unknown_exception_members={"CustomObject:Invoice__c"})
    result = project.cli("pull", "dev", "--full", "--quiet")
    assert result.exit_code == 0, result.output
    assert "skipped CustomObject:Invoice__c (previous content kept, stale)" in result.output
    diff = project.cli("diff", before, "dev", "--json")
    assert "Invoice__c" not in diff.stdout, diff.stdout[:2000]


def test_a_full_pull_that_retrieves_nothing_never_moves_the_ref(clean_dev, monkeypatch):
    from sfenv.io.org.client import OrgClient, RetrieveResult

    project, _ = clean_dev
    before = SnapshotStore(project.root).head("dev")
    monkeypatch.setattr(OrgClient, "retrieve", lambda self, members, **kw: RetrieveResult(
        "09S000000000001", "Succeeded", {}))
    line = untouched(project.root, "dev", before, project.cli("pull", "dev", "--full", "--quiet"), 3)
    assert "retrieved nothing" in line


def test_listed_components_missing_from_the_retrieve_are_kept_and_named(clean_dev, monkeypatch):
    """An org that leaves listed classes out of its zips: the snapshot keeps their previous
    content (marked stale on the skip list), and the pull ends naming them as incomplete."""
    from sfenv.io.org.client import OrgClient

    project, baseline = clean_dev
    original = OrgClient.retrieve

    def lossy(self, members, **kwargs):
        result = original(self, members, **kwargs)
        result.files = {p: d for p, d in result.files.items() if not p.startswith("classes/")}
        return result

    monkeypatch.setattr(OrgClient, "retrieve", lossy)
    result = project.cli("pull", "dev", "--full", "--json")
    head = complete(project.root, "dev", baseline, result)
    skipped = SnapshotStore(project.root).meta(head)["skipped"]
    classes = [s for s in skipped if s["component"].startswith("ApexClass:")]
    assert classes and all(s.get("stale") for s in classes), skipped
    assert all("not returned" in s["reason"] for s in classes)
    assert "ApexClass:" in (SnapshotStore(project.root).meta(head)["accounting"]["incomplete"] or "")


def first_draw_fails(rate: float) -> int:
    return next(seed for seed in range(1000) if random.Random(seed).random() < rate)


def test_login_is_retried_after_a_5xx(clean_dev):
    project, baseline = clean_dev
    faults = project.orgs["dev"].faults
    faults.configure(error_rate=0.5, error_kinds=("soap_login",), seed=first_draw_fails(0.5),
                     error_statuses=(503,))
    complete(project.root, "dev", baseline, project.cli("pull", "dev", "--full", "--quiet"))
    assert faults.counters.get("error.503", 0) >= 1


@pytest.fixture
def token_project(tmp_path, monkeypatch):
    with local_project(tmp_path, {"dev": "acme-dev"}, monkeypatch, production=None,
                       seed_types=False) as project:
        org = project.orgs["dev"]
        monkeypatch.setenv("REL_ACCESS_TOKEN", org.login_session())
        project.config_path.write_text(
            "project: acme\nenvironments:\n  dev:\n"
            f"    instance_url: {org.instance_url}\n    access_token_env: REL_ACCESS_TOKEN\n"
            f"    ca_file: {org.ca_file}\npath: [dev]\n"
            "pull:\n  poll_interval: 0.02\n  poll_max_interval: 0.2\n")
        yield project


@pytest.mark.timeout(120)
def test_an_access_token_that_expires_mid_pull_fails_at_once_instead_of_hanging(token_project):
    project = token_project
    project.orgs["dev"].faults.configure(session_expiry_after=20)
    started = time.monotonic()
    result = project.cli("pull", "dev", "--quiet")
    assert result.exit_code == 3, result.output
    line = error_line(result)
    assert "cannot renew" in line and "REL_ACCESS_TOKEN" in line
    assert time.monotonic() - started < 60
    assert SnapshotStore(project.root).head("dev") is None


@pytest.mark.timeout(120)
def test_an_invalid_access_token_fails_at_once_when_the_org_id_is_asked(token_project,
                                                                        monkeypatch):
    monkeypatch.setenv("REL_ACCESS_TOKEN", "00Dxx0000000000!expired")
    result = token_project.cli("pull", "dev", "--quiet")
    assert result.exit_code == 3, result.output
    assert "session expired" in error_line(result)


def deploy_zip() -> bytes:
    pkg = Package({"ApexClass": ["RelDeployOnce"]}, "62.0")
    return write_zip({
        "package.xml": write_package(pkg),
        "classes/RelDeployOnce.cls": b"public class RelDeployOnce {}\n",
        "classes/RelDeployOnce.cls-meta.xml":
            b'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/'
            b'2006/04/metadata">\n    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n'
            b"</ApexClass>\n"})


def test_an_accepted_deploy_whose_polls_fail_is_reported_with_its_id_never_resubmitted(
        clean_dev, monkeypatch):
    project, _ = clean_dev
    config = project.config()
    client = connect(config.env("dev"), config.api_version, sleep=lambda s: None)
    submitted: list[str] = []
    real_post = client._md.post

    def post(request):  # every deploy counted; every status poll answers a 503 page
        operation = etree.QName(request("x")[1][0]).localname
        if operation == "checkDeployStatus":
            raise HttpError(503, b"<html>Service Unavailable</html>")
        root = real_post(request)
        if operation == "deploy":
            submitted.append(deploy_call.read_id(root))
        return root

    monkeypatch.setattr(client._md, "post", post)
    with pytest.raises(DeployUnknownError) as err:
        client.deploy(deploy_zip(), check_only=True)
    assert len(submitted) == 1 and err.value.deploy_id == submitted[0]
    assert submitted[0] in str(err.value) and "\n" not in str(err.value)
    monkeypatch.undo()
    assert client.deploy_status(err.value.deploy_id, check_only=True).id[:15] == submitted[0][:15]


def _fake_promotion(tmp_path):
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.train.model import LogEntry, PromoteResult

    entry = LogEntry(action="promote", env="qa", result="", user="u",
                     started="2026-01-01T00:00:00Z")
    return SnapshotStore(tmp_path), PromoteResult("R1", "qa", entry, [])


def test_a_quick_deploy_whose_outcome_is_unknown_is_never_followed_by_a_full_deploy(tmp_path):
    from sfenv.services.promote.promote import _deploy
    from sfenv.services.records import release_log as release_log

    store, result = _fake_promotion(tmp_path)
    calls: list[str] = []

    def submit_quick_deploy(validation_id):
        calls.append("quick")
        return "0Af1"

    def wait_deploy(deploy_id):
        calls.append(f"wait {deploy_id}")
        # the id is in the log before anyone waits for it, for a resume
        assert release_log.read_log(store, "R1")[-1].deploy_ids == ["0Af1"]
        raise DeployUnknownError("deploy 0Af1 outcome unknown", deploy_id=deploy_id)

    client = SimpleNamespace(submit_quick_deploy=submit_quick_deploy, wait_deploy=wait_deploy,
                             submit_deploy=lambda data, **kw: calls.append("full"),
                             username="u", org_id="")
    with pytest.raises(DeployUnknownError):
        _deploy(store, "qa", client, result, b"zip", "0Af0")
    assert calls == ["quick", "wait 0Af1"]
    assert result.entry.deploy_ids == ["0Af1"]
    assert [i["kind"] for i in result.entry.deploy_intents] == ["quick"]


def test_a_quick_deploy_refused_at_submission_still_falls_back_to_a_deploy(tmp_path):
    from sfenv.services.promote.promote import _deploy

    store, result = _fake_promotion(tmp_path)
    calls: list[str] = []

    def submit_quick_deploy(validation_id):
        calls.append("quick")
        raise OrgError("deployRecentValidation failed: INVALID_ID_FIELD", code="INVALID_ID_FIELD")

    client = SimpleNamespace(submit_quick_deploy=submit_quick_deploy,
                             submit_deploy=lambda data, **kw: calls.append("full") or "0Af2",
                             wait_deploy=lambda deploy_id: calls.append(deploy_id) or "deployed",
                             username="u", org_id="")
    assert _deploy(store, "qa", client, result, b"zip", "0Af0") == "deployed"
    assert calls == ["quick", "full", "0Af2"]
    assert [(i["kind"], i["id"]) for i in result.entry.deploy_intents] == [("quick", ""),
                                                                            ("full", "0Af2")]


@pytest.fixture
def two_orgs(tmp_path, monkeypatch):
    with local_project(tmp_path, {"dev": "acme-dev", "other": "acme-qa"}, monkeypatch,
                       production=None, seed_types=False) as project:
        yield project


def point_dev_at_other(project, monkeypatch) -> None:
    orgs = {"dev": project.orgs["other"], "other": project.orgs["other"]}
    write_config(project.root, orgs, monkeypatch, production=None, seed_types=False)


def test_an_env_pointed_at_another_org_is_refused_naming_both_ids(two_orgs, monkeypatch):
    project = two_orgs
    project.ok("pull", "dev", "--quiet")
    before = SnapshotStore(project.root).head("dev")
    point_dev_at_other(project, monkeypatch)
    line = untouched(project.root, "dev", before, project.cli("pull", "dev", "--quiet"), 2)
    assert project.orgs["dev"].org_id in line and project.orgs["other"].org_id in line
    assert "--new-org" in line


def test_a_refresh_accepted_with_new_org_is_logged_and_binds_the_new_id(two_orgs, monkeypatch):
    project = two_orgs
    project.ok("pull", "dev", "--quiet")
    store = SnapshotStore(project.root)
    first = store.head("dev")
    point_dev_at_other(project, monkeypatch)
    project.ok("pull", "dev", "--quiet", "--new-org")
    events = refresh_events(store, "dev")
    assert [(e["from_org_id"], e["to_org_id"]) for e in events] == [
        (project.orgs["dev"].org_id, project.orgs["other"].org_id)]
    assert events[0]["previous"] == first and events[0]["commit"] == store.head("dev")
    assert store.meta(store.head("dev"))["incremental"] is False
    project.ok("pull", "dev", "--quiet")  # the new org is now dev's own
    assert len(refresh_events(store, "dev")) == 1
