"""`sfenv localorg usage ORG_DIR FILE`: a usage data file (YAML or JSON) loaded into a local
org's folder, served at once by the running org; a mistake names the file and line, exits 2
and loads nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.localorg.rest import soql
from sfenv.localorg.rest.api import RestApi
from sfenv.localorg.state import usage
from sfenv.localorg.testing import running_org

GOOD = """\
records:
  Invoice__c:
    - {Status__c: Sent, by: Tom Becker, CreatedDate: 2027-02-01T09:00:00Z}
    - {Status__c: Paid, CreatedDate: 2027-02-01T09:30:00Z}
logins:
  - {user: Sofia Rossi, times: [2027-02-01T08:00:00Z, 2027-02-02T08:00:00Z]}
report_runs:
  Billing_Reports/Revenue_by_Account_Tier: 2027-02-01T10:00:00Z
flow_interviews:
  - {flow: Invoice_Wizard, when: 2027-02-01T10:00:00Z, count: 2}
  - {flow: Invoice_Wizard, when: 2027-02-01T11:00:00Z, status: Error}
page_views:
  - {page: Invoice_Record_Page, day: 2027-02-01, count: 7}
permission_sets:
  - {name: Billing_Manager, user: elena.garcia@acme.example, when: 2027-02-01T10:00:00Z}
"""
SINCE = "2027-01-31T00:00:00Z"


@pytest.fixture()
def org(tmp_path):
    with running_org(tmp_path / "prod", seed="acme-prod", https=False) as handle:
        yield handle


def count(handle, text: str) -> int:
    return RestApi(handle.server.org).database().run(soql.parse(text))[3]


def load(handle, tmp_path, text: str, name: str = "usage.yml"):
    path = tmp_path / name
    path.write_text(text)
    return CliRunner().invoke(main, ["localorg", "usage", str(handle.data_dir), str(path)])


def test_a_yaml_file_loads_every_kind_into_the_running_org(org, tmp_path):
    result = load(org, tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    assert "added 2 records, 2 logins, 1 report run, 3 flow interviews, 1 page view day, " \
           "1 permission set assignment" in result.output
    assert count(org, f"SELECT COUNT() FROM Invoice__c WHERE CreatedDate >= {SINCE}") == 2
    assert count(org, f"SELECT COUNT() FROM LoginHistory WHERE LoginTime >= {SINCE}") == 2
    assert count(org, f"SELECT COUNT() FROM Report WHERE LastRunDate >= {SINCE}") == 1
    assert count(org, f"SELECT COUNT() FROM FlowInterviewLog WHERE CreatedDate >= {SINCE}") == 3
    assert count(org, "SELECT COUNT() FROM FlowInterviewLog WHERE InterviewStatus = 'Error'") == 1
    assert count(org, "SELECT COUNT() FROM LightningUsageByFlexiPageMetrics "
                      "WHERE MetricsDate >= 2027-01-31") == 1
    assert count(org, "SELECT COUNT() FROM PermissionSetAssignment WHERE "
                      f"PermissionSet.Name = 'Billing_Manager' AND SystemModstamp >= {SINCE}") == 1


def test_a_json_file_loads_the_same(org, tmp_path):
    data = {"records": {"Invoice__c": [{"Status__c": "Sent", "by": "Tom Becker",
                                        "CreatedDate": "2027-02-01T09:00:00Z"}]},
            "page_views": [{"page": "Invoice_Record_Page", "day": "2027-02-01", "count": 3}]}
    result = load(org, tmp_path, json.dumps(data, indent=1), "usage.json")
    assert result.exit_code == 0, result.output
    assert count(org, f"SELECT COUNT() FROM Invoice__c WHERE CreatedDate >= {SINCE}") == 1


@pytest.mark.parametrize(("text", "line", "says"), [
    (GOOD.replace("by: Tom Becker", "by: Nobody Here"), 3, "no user 'Nobody Here'"),
    (GOOD.replace("Status__c: Paid", "Colour__c: Red"), 4, "no field 'Colour__c'"),
    (GOOD.replace("Invoice__c:", "Nothing__c:"), 2, "no object 'Nothing__c'"),
    (GOOD.replace("2027-02-02T08:00:00Z", "yesterday"), 6, "'yesterday' is not a date"),
    (GOOD.replace("count: 2}", "count: many}"), 10, "must be a whole number"),
    (GOOD.replace("status: Error", "status: Broken"), 11, "'Broken' is not Completed"),
    (GOOD.replace("day: 2027-02-01", "day: 2027-13-01"), 13, "'2027-13-01' is not a valid"),
    (GOOD.replace("day: 2027-02-01", "day: 1st of May"), 13, "is not a day"),
    (GOOD + "clicks: []\n", 16, "unknown key 'clicks'"),
    (GOOD.replace("{user: Sofia Rossi, times", "{user: Sofia Rossi, when"), 6, "unknown field"),
    ("records: [\n", 2, "not YAML or JSON"),
])
def test_a_mistake_names_file_and_line_exits_2_and_loads_nothing(org, tmp_path, text, line, says):
    result = load(org, tmp_path, text)
    assert result.exit_code == 2, result.output
    [message] = [m for m in result.output.splitlines() if m.strip()]
    assert f"usage.yml:{line}: " in message and says in message, message
    assert usage.load(org.server.org) == usage.empty()


def test_a_folder_that_is_not_an_org_is_refused(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "u.yml").write_text(GOOD)
    result = CliRunner().invoke(main, ["localorg", "usage", str(tmp_path / "plain"),
                                       str(tmp_path / "u.yml")])
    assert result.exit_code == 2 and "not a local org folder" in result.output


def test_a_large_file_is_read_and_written_once(org, tmp_path, monkeypatch):
    rows = "\n".join(f"    - {{Status__c: S{i}, CreatedDate: 2027-02-01T09:00:00Z}}"
                     for i in range(2000))
    path = usage.usage_path(org.server.org)
    writes = []
    real = usage.os.replace
    monkeypatch.setattr(usage.os, "replace", lambda a, b: (
        writes.append(b) if str(b) == str(path) else None, real(a, b)))
    result = load(org, tmp_path, f"records:\n  Invoice__c:\n{rows}\n")
    assert result.exit_code == 0, result.output
    assert count(org, f"SELECT COUNT() FROM Invoice__c WHERE CreatedDate >= {SINCE}") == 2000
    assert writes == [path]   # one write for 2,000 rows, not one per row
