"""REST and the SOQL subset, through simple-salesforce as sfenv uses them."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfenv.localorg.rest import soql
from sfenv.localorg.state import id18, is_valid_id


@pytest.fixture
def org_sf(local_org):
    org = local_org.start()
    sf = Salesforce(instance_url=org.instance_url, session_id=org.access_token,
                    session=local_org.session(org), version="62.0")
    return org, sf


def test_ids_are_18_chars_with_a_valid_checksum(org_sf):
    org, sf = org_sf
    assert id18("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # Salesforce's documented example
    user_ids = [r["Id"] for r in sf.query("SELECT Id FROM User")["records"]]
    for value in [org.org_id, *user_ids]:
        assert len(value) == 18 and is_valid_id(value)
    assert org.org_id.startswith("00D") and all(u.startswith("005") for u in user_ids)
    assert not is_valid_id(org.org_id[:15] + "AAA")


def test_versions_and_resource_map(org_sf, local_org):
    org, _ = org_sf
    session = local_org.session(org)
    versions = session.get(f"{org.instance_url}/services/data").json()
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in versions
    resources = session.get(f"{org.instance_url}/services/data/v62.0",
                            headers={"Authorization": f"Bearer {org.access_token}"}).json()
    assert resources["query"] == "/services/data/v62.0/query"
    assert resources["tooling"] == "/services/data/v62.0/tooling"


def test_organization_query_returns_salesforce_shape(org_sf):
    org, sf = org_sf
    result = sf.query("SELECT Id, Name, IsSandbox, InstanceName, CreatedDate FROM Organization")
    assert result["totalSize"] == 1 and result["done"] is True
    record = result["records"][0]
    assert record["attributes"] == {
        "type": "Organization", "url": f"/services/data/v62.0/sobjects/Organization/{org.org_id}"}
    assert record["IsSandbox"] is False
    assert record["CreatedDate"].endswith("+0000")


def test_tooling_query_works_too(org_sf):
    org, sf = org_sf
    result = sf.toolingexecute("query/?q=SELECT+Id+FROM+Organization")
    assert result["records"][0]["Id"] == org.org_id
    assert "/tooling/sobjects/" in result["records"][0]["attributes"]["url"]


def test_user_filters_and_relationship_fields(org_sf):
    org, sf = org_sf
    org.server.org.add_user("jane@acme.test", "Jane Doe", "jane@acme.test", "Standard User")
    org.server.org.add_user("old@acme.test", "Old Timer", "old@acme.test", "Standard User",
                            is_active=False)
    rows = sf.query("SELECT Username, Profile.Name FROM User WHERE IsActive = true AND "
                    "(Username LIKE 'jane%' OR Profile.Name = 'System Administrator') "
                    "ORDER BY Username DESC")["records"]
    assert [r["Username"] for r in rows] == ["jane@acme.test", org.username]
    assert rows[0]["Profile"]["Name"] == "Standard User"
    assert rows[0]["Profile"]["attributes"]["type"] == "Profile"
    inactive = sf.query("SELECT Name FROM User WHERE IsActive != TRUE")["records"]
    assert [r["Name"] for r in inactive] == ["Old Timer"]
    counted = sf.query("SELECT COUNT() FROM User WHERE Username IN ('jane@acme.test', 'x')")
    assert counted["totalSize"] == 1 and counted["records"] == []


def test_audit_trail_query_with_dates_order_and_limit(org_sf):
    org, sf = org_sf
    state = org.server.org
    jane = state.add_user("jane@acme.test", "Jane Doe", "jane@acme.test")
    state.add_audit("changedCurrency", "Manage Currencies", "Old change", jane,
                    when="2024-01-10T09:00:00Z")
    org.change(as_user="Jane Doe", audit=("Divisions", "Created division EMEA"),
               when="2024-03-01T12:30:00.000Z")
    org.change(audit=("Manage Currencies", "Changed corporate currency"))
    rows = sf.query_all(
        "SELECT Action, Section, Display, CreatedDate, CreatedBy.Name FROM SetupAuditTrail "
        "WHERE CreatedDate >= 2024-02-01T00:00:00Z ORDER BY CreatedDate ASC LIMIT 5")["records"]
    assert [r["Display"] for r in rows] == ["Created division EMEA", "Changed corporate currency"]
    assert rows[0]["CreatedBy"]["Name"] == "Jane Doe"
    assert rows[0]["CreatedDate"] == "2024-03-01T12:30:00.000+0000"
    on_day = sf.query("SELECT Id FROM SetupAuditTrail WHERE CreatedDate = 2024-01-10")
    assert on_day["totalSize"] == 1
    newest = sf.query("SELECT Display FROM SetupAuditTrail ORDER BY CreatedDate DESC LIMIT 1")
    assert newest["records"][0]["Display"] == "Changed corporate currency"


def test_large_results_page_with_next_records_url(org_sf):
    org, sf = org_sf
    state = org.server.org
    for i in range(2100):
        state.add_audit("a", "Manage Users", f"row {i}", state.admin)
    first = sf.query("SELECT Id FROM SetupAuditTrail")
    assert first["done"] is False and len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/")
    everything = sf.query_all("SELECT Id FROM SetupAuditTrail")
    assert everything["totalSize"] == 2100 and len(everything["records"]) == 2100


@pytest.mark.parametrize(("query", "code", "text"), [
    ("SELECT Id FROM", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT Id FROM User WHERE", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT Id FROM User LIMIT x", "MALFORMED_QUERY", "unexpected token: 'x'"),
    ("SELECT Id FROM Nothing__c", "INVALID_TYPE", "sObject type 'Nothing__c' is not supported"),
    ("SELECT Bogus FROM User", "INVALID_FIELD", "No such column 'Bogus' on entity 'User'"),
    ("SELECT CreatedBy.Nope FROM SetupAuditTrail", "INVALID_FIELD", "No such column"),
    ("SELECT Id FROM SetupAuditTrail WHERE CreatedDate > '2024-01-01'", "INVALID_FIELD",
     "should not be enclosed in quotes"),
])
def test_bad_queries_get_salesforce_errors(org_sf, query, code, text):
    _, sf = org_sf
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query(query)
    assert err.value.status == 400
    assert err.value.content[0]["errorCode"] == code
    assert text in err.value.content[0]["message"]


def test_invalid_session_is_401_with_error_list(org_sf, local_org):
    org, _ = org_sf
    reply = local_org.session(org).get(
        f"{org.instance_url}/services/data/v62.0/query?q=SELECT+Id+FROM+User",
        headers={"Authorization": "Bearer 00Dxx!nope"})
    assert reply.status_code == 401
    assert reply.json() == [{"message": "Session expired or invalid",
                             "errorCode": "INVALID_SESSION_ID"}]


def test_user_record_by_id_and_not_found(org_sf, local_org):
    org, sf = org_sf
    admin_id = org.server.org.admin.id
    record = sf.User.get(admin_id)
    assert record["Username"] == org.username and record["Id"] == admin_id
    assert sf.User.get(admin_id[:15])["Id"] == admin_id
    reply = local_org.session(org).get(
        f"{org.instance_url}/services/data/v62.0/sobjects/User/005000000000000AAA",
        headers={"Authorization": f"Bearer {org.access_token}"})
    assert reply.status_code == 404 and reply.json()[0]["errorCode"] == "NOT_FOUND"


def test_soql_and_binds_tighter_than_or_and_not_negates():
    db = soql.Database(
        {"T": soql.SObject("T", {"Id": "id", "A": "string", "B": "boolean"})},
        {"T": [{"Id": "1", "A": "x", "B": True}, {"Id": "2", "A": "y", "B": False},
               {"Id": "3", "A": "z", "B": True}]})

    def ids(text: str) -> list[str]:
        return [r["Id"] for r in db.run(soql.parse(text))[2]]

    assert ids("SELECT Id FROM T WHERE A = 'y' OR A = 'z' AND B = false") == ["2"]
    assert ids("SELECT Id FROM T WHERE (A = 'y' OR A = 'z') AND B = true") == ["3"]
    assert ids("SELECT Id FROM T WHERE NOT A IN ('x', 'y')") == ["3"]
    assert ids("SELECT Id FROM T WHERE A NOT IN ('x') ORDER BY A DESC LIMIT 1 OFFSET 1") == ["2"]
    assert ids("SELECT Id FROM T WHERE A LIKE 'X%'") == ["1"]  # case-insensitive, as SOQL
    assert ids("select id from t where a <> 'x' limit 1") == ["2"]


def test_soql_like_escapes_and_string_escapes():
    db = soql.Database({"T": soql.SObject("T", {"Id": "id", "A": "string"})},
                       {"T": [{"Id": "1", "A": "50%_off"}, {"Id": "2", "A": "50 off"},
                              {"Id": "3", "A": "it's"}]})
    rows = db.run(soql.parse(r"SELECT Id FROM T WHERE A LIKE '50\%\_%'"))[2]
    assert [r["Id"] for r in rows] == ["1"]
    rows = db.run(soql.parse(r"SELECT Id FROM T WHERE A = 'it\'s'"))[2]
    assert [r["Id"] for r in rows] == ["3"]
