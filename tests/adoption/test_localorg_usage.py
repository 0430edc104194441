"""The local org serves usage objects as production does: records with their dates and
creators, COUNT() with WHERE on them, long text areas refused in WHERE, report run dates,
page views, flow runs, logins and permission set assignments."""

from __future__ import annotations

import pytest

from sfenv.localorg.rest import soql
from sfenv.localorg.rest.api import RestApi
from sfenv.localorg.state import usage
from sfenv.localorg.testing import running_org


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    with running_org(tmp_path_factory.mktemp("usage") / "prod", seed="acme-prod",
                     https=False) as handle:
        yield handle.server.org


def count(org, text: str) -> int:
    return RestApi(org).database().run(soql.parse(text))[3]


def test_records_count_by_date_creator_and_field_value(org):
    usage.add_records(org, "Invoice__c", [{"Status__c": "Paid"}, {"Status__c": None}],
                      by="Elena Garcia", when="2026-12-02T10:00:00Z")
    usage.add_records(org, "Invoice__c", [{"Status__c": "Draft"}], by="sofia.rossi@acme.example",
                      when="2026-11-01T10:00:00Z")
    assert count(org, "SELECT COUNT() FROM Invoice__c WHERE CreatedDate >= 2026-12-01T00:00:00Z") == 2
    assert count(org, "SELECT COUNT() FROM Invoice__c WHERE Status__c != null "
                      "AND LastModifiedDate >= 2026-12-01T00:00:00Z") == 1
    db = RestApi(org).database()
    _, _, rows, _ = db.run(soql.parse("SELECT CreatedBy.Name FROM Invoice__c "
                                      "WHERE CreatedDate >= 2026-11-01T00:00:00Z"))
    names = {db.value(db.schema("Invoice__c"), r, ("CreatedBy", "Name")) for r in rows}
    assert names == {"Elena Garcia", "Sofia Rossi"}


def test_a_field_the_object_does_not_declare_is_invalid(org):
    with pytest.raises(soql.SoqlError) as err:
        count(org, "SELECT COUNT() FROM Invoice__c WHERE Nope__c != null")
    assert err.value.code == "INVALID_FIELD"


def test_reports_pages_flows_logins_and_assignments(org):
    usage.run_report(org, "Billing_Reports/Open_Invoices_by_Status", "2026-12-03T09:00:00Z")
    assert count(org, "SELECT COUNT() FROM Report WHERE LastRunDate >= 2026-12-01T00:00:00Z") == 1
    assert count(org, "SELECT COUNT() FROM Report WHERE LastRunDate = null") >= 1
    usage.add_page_views(org, "Invoice_Record_Page", "2026-12-02", 7)
    assert count(org, "SELECT COUNT() FROM LightningUsageByFlexiPageMetrics "
                      "WHERE MetricsDate >= 2026-12-01") == 1
    usage.add_flow_runs(org, "Invoice_Wizard", "2026-12-02T10:00:00Z", "Error", count=2)
    assert count(org, "SELECT COUNT() FROM FlowInterviewLog WHERE InterviewStatus = 'Error'") == 2
    usage.add_logins(org, "Tom Becker", ["2026-12-02T08:00:00Z"])
    assert count(org, "SELECT COUNT() FROM LoginHistory WHERE LoginTime >= LAST_N_DAYS:3650") == 1
    with pytest.raises(Exception, match="no user 'Nobody'"):
        usage.add_logins(org, "Nobody", ["2026-12-02T08:00:00Z"])


def test_a_long_text_area_cannot_be_filtered_but_can_be_read(org):
    usage.add_records(org, "Project__c", [{"Description__c": "kick-off"}],
                      when="2026-12-02T10:00:00Z")
    with pytest.raises(soql.SoqlError) as err:
        count(org, "SELECT COUNT() FROM Project__c WHERE Description__c != null")
    assert err.value.code == "INVALID_FIELD" and "can not be filtered" in err.value.message
    db = RestApi(org).database()
    rows = db.run(soql.parse("SELECT Description__c FROM Project__c"))[2]
    assert [r["Description__c"] for r in rows] == ["kick-off"]


def test_group_members_carry_the_date_they_joined(org):
    usage.set_member_date(org, "Billing_Team", "elena.garcia@acme.example", "2030-01-03T00:00:00Z")
    assert count(org, "SELECT COUNT() FROM GroupMember WHERE Group.DeveloperName = 'Billing_Team' "
                      "AND SystemModstamp >= 2030-01-01T00:00:00Z") == 1  # the other: org creation
    assert count(org, "SELECT COUNT() FROM GroupMember WHERE Group.DeveloperName = 'Billing_Team'") == 2


def test_a_usage_data_file_seeds_every_kind_and_names_an_unknown_key(org):
    usage.seed_usage(org, {
        "records": {"Invoice__c": [{"Status__c": "Sent", "CreatedDate": "2027-02-01T09:00:00Z",
                                    "by": "Tom Becker"}]},
        "logins": [{"user": "Sofia Rossi", "times": ["2027-02-01T08:00:00Z"]}],
        "page_views": [{"page": "Invoice_Record_Page", "day": "2027-02-01", "count": 3}],
        "report_runs": {"Billing_Reports/Revenue_by_Account_Tier": "2027-02-01T10:00:00Z"},
        "flow_runs": [{"flow": "Invoice_Wizard", "when": "2027-02-01T10:00:00Z", "count": 2}],
        "permission_sets": [{"name": "Billing_Manager", "user": "Elena Garcia",
                             "when": "2027-02-01T10:00:00Z"}],
    })
    since = "2027-01-31T00:00:00Z"
    assert count(org, f"SELECT COUNT() FROM Invoice__c WHERE CreatedDate >= {since}") == 1
    assert count(org, f"SELECT COUNT() FROM LoginHistory WHERE LoginTime >= {since}") == 1
    assert count(org, "SELECT COUNT() FROM LightningUsageByFlexiPageMetrics "
                      "WHERE MetricsDate >= 2027-01-31") == 1
    assert count(org, f"SELECT COUNT() FROM Report WHERE LastRunDate >= {since}") == 1
    assert count(org, f"SELECT COUNT() FROM FlowInterviewLog WHERE CreatedDate >= {since}") == 2
    assert count(org, "SELECT COUNT() FROM PermissionSetAssignment WHERE "
                      f"PermissionSet.Name = 'Billing_Manager' AND SystemModstamp >= {since}") == 1
    with pytest.raises(Exception, match="unknown key 'clicks'"):
        usage.seed_usage(org, {"clicks": []})
