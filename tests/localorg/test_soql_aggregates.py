"""Aggregate SOQL in the local org, as Salesforce answers it: COUNT_DISTINCT / COUNT(field)
as one AggregateResult row (alias or expr0), GROUP BY one row per group, and the queries
Salesforce refuses refused with its codes."""

from __future__ import annotations

import pytest

from sfenv.localorg.rest import soql
from sfenv.localorg.rest.api import RestApi
from sfenv.localorg.state import usage
from sfenv.localorg.testing import running_org

SINCE = "CreatedDate >= 2027-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    with running_org(tmp_path_factory.mktemp("agg") / "prod", seed="acme-prod",
                     https=False) as handle:
        org = handle.server.org
        for who, status in (("Elena Garcia", "Sent"), ("Elena Garcia", "Paid"),
                            ("Sofia Rossi", "Sent"), ("Tom Becker", None)):
            usage.add_records(org, "Invoice__c", [{"Status__c": status}], by=who,
                              when="2027-01-02T10:00:00Z")
        usage.add_records(org, "Invoice__c", [{"Status__c": "Old"}], by="Marcus Chen",
                          when="2026-06-01T10:00:00Z")
        yield handle


def ask(handle, text: str):
    api = RestApi(handle.server.org)
    status, _ctype, body = api._query("v62.0", text, False)[:3]
    import json
    return status, json.loads(body)


def test_count_distinct_creators_is_one_aggregate_row(org):
    status, body = ask(org, f"SELECT COUNT_DISTINCT(CreatedById) creators FROM Invoice__c "
                            f"WHERE {SINCE}")
    assert status == 200
    assert body == {"totalSize": 1, "done": True, "records": [
        {"attributes": {"type": "AggregateResult"}, "creators": 3}]}


def test_unaliased_aggregates_are_expr0_expr1_and_count_skips_nulls(org):
    _, body = ask(org, f"SELECT COUNT(Status__c), COUNT_DISTINCT(Status__c) FROM Invoice__c "
                       f"WHERE {SINCE}")
    [row] = body["records"]
    assert (row["expr0"], row["expr1"]) == (3, 2)   # Sent, Paid, Sent; Tom's is null


def test_group_by_gives_one_row_per_group(org):
    _, body = ask(org, f"SELECT CreatedById, COUNT(Id) n FROM Invoice__c WHERE {SINCE} "
                       "GROUP BY CreatedById ORDER BY CreatedById")
    assert body["totalSize"] == 3
    assert sorted(r["n"] for r in body["records"]) == [1, 1, 2]
    assert all(set(r) == {"attributes", "CreatedById", "n"} for r in body["records"])


def test_no_matching_rows_counts_zero_in_one_row(org):
    _, body = ask(org, "SELECT COUNT_DISTINCT(CreatedById) FROM Invoice__c "
                       "WHERE CreatedDate >= 2030-01-01T00:00:00Z")
    assert body["records"] == [{"attributes": {"type": "AggregateResult"}, "expr0": 0}]


@pytest.mark.parametrize(("text", "code", "says"), [
    ("SELECT Name, COUNT_DISTINCT(CreatedById) FROM Invoice__c", "MALFORMED_QUERY",
     "Field must be grouped or aggregated: Name"),
    ("SELECT COUNT(Id) FROM Invoice__c GROUP BY CreatedById ORDER BY Name", "MALFORMED_QUERY",
     "Ordered field must be grouped or aggregated: Name"),
    ("SELECT COUNT_DISTINCT(Nope__c) FROM Invoice__c", "INVALID_FIELD", "No such column"),
    ("SELECT SUM(Total_Amount__c) FROM Invoice__c", "MALFORMED_QUERY", "SUM()"),
])
def test_what_salesforce_refuses_is_refused(org, text, code, says):
    status, body = ask(org, text)
    assert status == 400 and body[0]["errorCode"] == code and says in body[0]["message"], body


def test_a_long_text_area_cannot_be_aggregated(org):
    db = RestApi(org.server.org).database()
    long_text = next((name for name, kind in db.schema("Project__c").fields.items()
                      if kind == "textarea"), None)
    if long_text is None:
        pytest.skip("the acme Project__c has no long text area")
    with pytest.raises(soql.SoqlError, match="does not support aggregate operator"):
        db.aggregate(soql.parse(f"SELECT COUNT_DISTINCT({long_text}) FROM Project__c"))


def test_an_aggregate_query_is_never_read_as_a_plain_one(org):
    parsed = soql.parse("SELECT COUNT_DISTINCT(CreatedById) FROM Invoice__c")
    assert parsed.is_aggregate
    with pytest.raises(soql.SoqlError, match="aggregate"):
        RestApi(org.server.org).database().run(parsed)
