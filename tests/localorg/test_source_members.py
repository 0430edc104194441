"""Source tracking: the Tooling API's SourceMember, as sf and sfenv's incremental pull read it."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from sfenv.localorg.state import OrgState

from .md_support import Client_, make_org, package, xml

FIELDS = ("Id, MemberType, MemberName, MemberIdOrName, RevisionCounter, IsNameObsolete, "
          "IsNewMember, ChangedBy, LastModifiedDate, LastModifiedById")
CLASS_META_BODY = "    <apiVersion>60.0</apiVersion>\n    <status>Active</status>"
REGION_255 = xml("CustomObject", """    <fields>
        <fullName>Region__c</fullName>
        <label>Region</label>
        <length>255</length>
        <type>Text</type>
    </fields>""")


def tooling_query(local_org, org, soql: str, *, api: str = "tooling/") -> tuple[int, dict | list]:
    session = local_org.session(org)
    reply = session.get(f"{org.instance_url}/services/data/v62.0/{api}query?q={quote(soql)}",
                        headers={"Authorization": f"Bearer {org.access_token}"})
    return reply.status_code, reply.json()


def members(local_org, org, where: str = "") -> list[dict]:
    status, body = tooling_query(local_org, org, f"SELECT {FIELDS} FROM SourceMember {where} "
                                 "ORDER BY RevisionCounter")
    assert status == 200, body
    return body["records"]


def by_member(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["MemberType"], r["MemberName"]): r for r in rows}


@pytest.fixture
def tracked(local_org, tmp_path):
    """A sandbox with the small Metadata API folder of md_support, tracking switched on."""
    make_org(tmp_path / "org")
    org = local_org.start(data=tmp_path / "org")
    org.set_source_tracking()
    return org


def test_production_never_offers_source_member_even_with_the_flag(local_org):
    org = local_org.start(seed="acme-prod")
    org.set_source_tracking()
    status, body = tooling_query(local_org, org, "SELECT Id FROM SourceMember")
    assert status == 400
    assert body[0]["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'SourceMember' is not supported" in body[0]["message"]
    org.server.org.touch_components(["ApexClass:Foo"], org.server.org.admin)
    assert org.server.org.source_member_rows() == []


def test_untracked_sandbox_answers_invalid_type(local_org, tmp_path):
    make_org(tmp_path / "org")
    org = local_org.start(data=tmp_path / "org")
    status, body = tooling_query(local_org, org, "SELECT Id FROM SourceMember")
    assert (status, body[0]["errorCode"]) == (400, "INVALID_TYPE")


def test_source_member_is_a_tooling_object_not_a_data_api_one(tracked, local_org):
    status, body = tooling_query(local_org, tracked, "SELECT Id FROM SourceMember", api="")
    assert (status, body[0]["errorCode"]) == (400, "INVALID_TYPE")


def test_dev_seed_tracks_from_its_creation_with_no_rows_yet(local_org):
    org = local_org.start(seed="acme-dev")
    assert members(local_org, org) == []
    org.change(set_field=("CustomField:Account.Region__c", "length=120"))
    [row] = members(local_org, org)
    assert (row["MemberType"], row["MemberName"]) == ("CustomField", "Account.Region__c")


def test_deploy_records_each_component_and_child_with_increasing_counters(tracked, local_org):
    client = Client_(tracked.server.org)
    result = client.deploy_done({
        "package.xml": package({"ApexClass": ["Bar"], "CustomField": ["Account.Region__c"]}),
        "classes/Bar.cls": b"public class Bar {}\n",
        "classes/Bar.cls-meta.xml": xml("ApexClass", CLASS_META_BODY),
        "objects/Account.object": REGION_255})
    assert result.success, result.details.componentFailures
    rows = members(local_org, tracked)
    assert [(r["MemberType"], r["MemberName"]) for r in rows] == [
        ("ApexClass", "Bar"), ("CustomField", "Account.Region__c")]
    assert [r["RevisionCounter"] for r in rows] == [1, 2]
    bar = rows[0]
    admin = tracked.server.org.admin
    assert (bar["IsNewMember"], bar["IsNameObsolete"], bar["ChangedBy"],
            bar["LastModifiedById"]) == (True, False, admin.id, admin.id)
    assert bar["Id"].startswith("0MZ") and len(bar["Id"]) == 18
    assert bar["MemberIdOrName"].startswith("01p")      # ApexClass ids
    assert bar["LastModifiedDate"].endswith("+0000")
    state = tracked.server.org
    state.touch_components(["CustomField:Account.Region__c"], state.admin)
    again = by_member(members(local_org, tracked))[("CustomField", "Account.Region__c")]
    assert (again["IsNewMember"], again["RevisionCounter"], again["Id"]) == (
        False, 3, rows[1]["Id"])                        # the same row, updated in place


def test_destructive_deploy_marks_the_row_obsolete_and_keeps_it(tracked, local_org):
    client = Client_(tracked.server.org)
    tracked.server.org.touch_components(["ApexClass:FooTest"], tracked.server.org.admin)
    [before] = members(local_org, tracked)
    result = client.deploy_done({"package.xml": package({}),
                                 "destructiveChanges.xml": package({"ApexClass": ["FooTest"],
                                                                    "CustomField": ["Account.Tier__c"]})})
    assert result.success, result.details.componentFailures
    rows = by_member(members(local_org, tracked))
    foo = rows[("ApexClass", "FooTest")]
    assert foo["Id"] == before["Id"] and foo["IsNameObsolete"] is True
    assert foo["RevisionCounter"] > before["RevisionCounter"]
    assert rows[("CustomField", "Account.Tier__c")]["IsNameObsolete"] is True


def test_types_an_org_does_not_reliably_track_get_no_rows(tracked, local_org):
    """The sf CLI does not wait for rows of these types after a deploy: a client must list
    them, so the local org never records them."""
    client = Client_(tracked.server.org)
    result = client.deploy_done({"package.xml": package({"CustomObject": ["Account"]}),
                                 "objects/Account.object": REGION_255})
    assert result.success, result.details.componentFailures
    state = tracked.server.org
    state.touch_components(["SharingRules:Account", "CustomObject:Invoice__c"], state.admin)
    assert [(r["MemberType"], r["MemberName"]) for r in members(local_org, tracked)] == [
        ("CustomField", "Account.Region__c")]


def test_a_label_change_gives_a_custom_label_row_and_no_container_row(tracked, local_org):
    """Salesforce tracks each CustomLabel; the CustomLabels file is no member of its own."""
    state = tracked.server.org
    state.touch_components(["CustomLabels:CustomLabels", "CustomLabel:Greeting"], state.admin)
    assert [(r["MemberType"], r["MemberName"]) for r in members(local_org, tracked)] == [
        ("CustomLabel", "Greeting")]


def test_hand_change_records_the_child_and_who_made_it(tracked, local_org):
    tracked.change(deactivate="RecordType:Account.Partner")
    [row] = members(local_org, tracked)
    assert (row["MemberType"], row["MemberName"], row["RevisionCounter"], row["ChangedBy"]) == (
        "RecordType", "Account.Partner", 1, tracked.server.org.admin.id)


def test_one_row_per_member_updated_in_place_and_filtered_by_counter(tracked, local_org):
    state = tracked.server.org
    state.touch_components(["ApexClass:Foo", "ApexClass:FooTest"], state.admin)
    state.touch_components(["ApexClass:Foo"], state.admin)
    state.forget_components(["ApexClass:FooTest"])
    state.touch_components(["ApexClass:FooTest"], state.admin)   # created again
    rows = members(local_org, tracked)
    assert [(r["MemberName"], r["RevisionCounter"], r["IsNameObsolete"]) for r in rows] == [
        ("Foo", 3, False), ("FooTest", 5, False)]
    later = members(local_org, tracked, "WHERE RevisionCounter > 3")
    assert [r["MemberName"] for r in later] == ["FooTest"]
    status, body = tooling_query(local_org, tracked,
                                 "SELECT COUNT() FROM SourceMember WHERE IsNameObsolete = false")
    assert (status, body["totalSize"]) == (200, 2)


def test_rows_page_with_next_records_url_in_counter_order(tracked, local_org):
    state = tracked.server.org
    state.touch_components([f"ApexClass:C{i:04d}" for i in range(2100)], state.admin)
    status, first = tooling_query(local_org, tracked,
                                  "SELECT MemberName, RevisionCounter FROM SourceMember "
                                  "ORDER BY RevisionCounter")
    assert status == 200 and first["done"] is False and first["totalSize"] == 2100
    session = local_org.session(tracked)
    second = session.get(f"{tracked.instance_url}{first['nextRecordsUrl']}",
                         headers={"Authorization": f"Bearer {tracked.access_token}"}).json()
    counters = [r["RevisionCounter"] for r in first["records"] + second["records"]]
    assert second["done"] is True and counters == list(range(1, 2101))


def test_rows_and_counter_survive_a_restart(tmp_path):
    state = make_org(tmp_path)
    state.set_source_tracking(True)
    state.touch_components(["ApexClass:Foo"], state.admin)
    state.save()
    again = OrgState.open(tmp_path)
    again.touch_components(["ApexClass:Bar"], again.admin)
    assert [(r["MemberName"], r["RevisionCounter"]) for r in again.source_member_rows()] == [
        ("Foo", 1), ("Bar", 2)]
