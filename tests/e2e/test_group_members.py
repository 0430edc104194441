"""Public group membership (GroupMember data) end to end: the local org answers SOQL on Group and
GroupMember, `sfenv pull` records `.sfenv/group-members.json`, and the dev -> qa checklist says
who to add to the dev org's new public group, with qa's usernames."""

from __future__ import annotations

import json

import pytest
import requests
from simple_salesforce import Salesforce

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.rest import api as rest
from sfenv.localorg.testing import running_org
from tests.projects import local_project

FINANCE_IN_DEV = ["Role:VP_Sales", "RoleAndSubordinates:EMEA_Sales_Manager",
                  "elena.garcia@acme.example.dev"]


def salesforce(org) -> Salesforce:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = org.ca_file
    return Salesforce(instance_url=org.instance_url, session_id=org.access_token,
                      session=session, version="62.0")


def records(sf: Salesforce, soql: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "attributes"} for r in sf.query_all(soql)["records"]]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """dev and qa orgs, both pulled, and train R1 built from dev for qa. ApexClass is a manual
    type here, so dev's deleted InvoicePdfLegacy class is a removed manual component."""
    tmp = tmp_path_factory.mktemp("groups")
    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)
        envs = {"dev": "acme-dev", "qa": "acme-qa"}
        with local_project(tmp, envs, mp, extra="manual_types: [ApexClass]",
                           seed_types=False) as p:
            p.pull_all()
            p.ok("release", "build", "R1")
            yield p


def snapshot_json(project, env: str, path: str):
    store = SnapshotStore(project.root)
    return json.loads(store.read_file(store.head(env), path))


def test_rest_query_lists_public_groups_queues_and_role_groups(project):
    sf = salesforce(project.orgs["dev"])
    groups = records(sf, "SELECT Id, DeveloperName, Name, Type FROM Group ORDER BY DeveloperName")
    by_type: dict[str, set[str]] = {}
    for g in groups:
        by_type.setdefault(g["Type"], set()).add(g["DeveloperName"])
        assert g["Id"].startswith("00G") and len(g["Id"]) == 18
    assert by_type["Regular"] == {"Billing_Team", "Finance_Approvers", "Sales_Leadership",
                                  "Support_Leads"}
    assert {"Support_Tier1", "Support_Escalations", "Lead_Inbox"} <= by_type["Queue"]
    assert {"VP_Sales", "EMEA_Sales_Manager"} <= by_type["Role"]
    assert by_type["Role"] == by_type["RoleAndSubordinates"]
    finance = next(g for g in groups if g["DeveloperName"] == "Finance_Approvers")
    assert finance["Name"] == "Finance Approvers"


def test_public_group_id_is_the_group_components_metadata_id(project):
    sf = salesforce(project.orgs["dev"])
    [row] = records(sf, "SELECT Id FROM Group WHERE DeveloperName = 'Finance_Approvers' "
                        "AND Type = 'Regular'")
    index = snapshot_json(project, "dev", ".sfenv/components.json")
    assert index["Group:Finance_Approvers"]["id"] == row["Id"]


def test_rest_query_of_group_members_resolves_users_and_role_groups(project):
    sf = salesforce(project.orgs["dev"])
    members = records(sf, "SELECT Id, GroupId, UserOrGroupId, Group.DeveloperName FROM GroupMember "
                          "WHERE Group.DeveloperName = 'Finance_Approvers'")
    assert len(members) == 3
    assert {m["Group"]["DeveloperName"] for m in members} == {"Finance_Approvers"}
    assert all(m["Id"].startswith("011") for m in members)
    ids = {m["UserOrGroupId"] for m in members}
    [elena] = records(sf, "SELECT Id FROM User WHERE Username = 'elena.garcia@acme.example.dev'")
    roles = records(sf, "SELECT Id, DeveloperName, Type FROM Group WHERE Type IN "
                        "('Role', 'RoleAndSubordinates')")
    expected = {elena["Id"]} | {g["Id"] for g in roles if (g["DeveloperName"], g["Type"]) in
                                {("VP_Sales", "Role"), ("EMEA_Sales_Manager", "RoleAndSubordinates")}}
    assert ids == expected


def test_qa_has_no_members_for_a_group_it_does_not_have(project):
    sf = salesforce(project.orgs["qa"])
    rows = records(sf, "SELECT Id FROM GroupMember WHERE Group.DeveloperName = 'Finance_Approvers'")
    assert rows == []
    assert records(sf, "SELECT Id FROM GroupMember WHERE Group.DeveloperName = 'Billing_Team'")


def test_pull_records_group_members_by_username_and_developer_name(project):
    dev = snapshot_json(project, "dev", ".sfenv/group-members.json")
    assert dev["Finance_Approvers"] == FINANCE_IN_DEV
    assert dev["Billing_Team"] == ["Role:VP_Sales", "elena.garcia@acme.example.dev"]
    assert "Support_Tier1" not in dev  # queues are not public groups
    qa = snapshot_json(project, "qa", ".sfenv/group-members.json")
    assert "Finance_Approvers" not in qa
    assert qa["Support_Leads"] == ["Role:Support_Manager", "tom.becker@acme.example.qa"]


def test_checklist_lists_the_new_groups_members_with_qa_usernames(project):
    result = project.cli("checklist", "R1", "--env", "qa", "--json")
    assert result.exit_code == 0, result.output
    steps = {s["id"]: s for s in json.loads(result.stdout)["steps"]}
    step = steps["group-members.Finance_Approvers"]
    assert step["phase"] == "after" and step["component"] == "Group:Finance_Approvers"
    details = "\n".join(step["details"])
    assert "elena.garcia@acme.example.qa (in dev: elena.garcia@acme.example.dev)" in details
    assert "Role:VP_Sales" in details and "RoleAndSubordinates:EMEA_Sales_Manager" in details
    assert "copy the members" not in details  # the members are known, not left to the reader


def test_a_removed_manual_component_is_not_turned_into_a_create_step(project):
    result = project.cli("checklist", "R1", "--env", "qa", "--json")
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["steps"]
    legacy = [s for s in steps if s["component"] == "ApexClass:InvoicePdfLegacy"]
    assert not [s for s in legacy if "Create" in s["title"] or "Update" in s["title"]], legacy


def test_membership_survives_a_restart_of_the_org(tmp_path):
    data = tmp_path / "org"
    with running_org(data, seed="acme-qa") as org:
        org.server.org.set_group_members("Billing_Team", [{"type": "User",
                                                           "member": "sofia.rossi@acme.example.qa"}])
        org.server.org.save()
    with running_org(data) as org:
        rows = records(salesforce(org), "SELECT UserOrGroupId FROM GroupMember "
                                        "WHERE Group.DeveloperName = 'Billing_Team'")
        [sofia] = records(salesforce(org), "SELECT Id FROM User WHERE Username = 'sofia.rossi@acme.example.qa'")
    assert [r["UserOrGroupId"] for r in rows] == [sofia["Id"]]


def test_a_failed_membership_query_is_a_warning_not_a_failed_pull(tmp_path, monkeypatch):
    monkeypatch.delitem(rest.SCHEMAS, "GroupMember")  # as an org refusing the object would
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with local_project(tmp_path, {"qa": "acme-qa"}, monkeypatch,
                       seed_types=False) as p:
        result = p.cli("pull", "qa", "--json")
        assert result.exit_code == 0, result.output
        warnings = json.loads(result.stdout)["warnings"]
        assert any("group members not read" in w and "GroupMember" in w for w in warnings), warnings
        assert snapshot_json(p, "qa", ".sfenv/group-members.json") == {}
