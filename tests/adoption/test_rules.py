"""The adoption rules on plain data: each verdict rule, "never a fake 0", T0 from the release
log, the sfenv.yml block, and what a signal does when the org does not offer its object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfenv.config import load_config
from sfenv.config.adoption import AdoptionSettings
from sfenv.core.metadata.registry import default_registry
from sfenv.errors import ConfigError, OrgError
from sfenv.services.adoption import signals, verdicts
from sfenv.services.adoption.service import ComponentFacts, deployed_at, measure
from sfenv.services.adoption.signals import CallLog, CountingOrg
from sfenv.services.train.model import LogEntry

S = AdoptionSettings(days=14, used=0.3, low=0.05)
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)


def test_a_share_is_used_low_or_unused_at_the_thresholds():
    assert verdicts.by_share(0.3, S, "fill rate").verdict == "used"
    assert verdicts.by_share(0.29, S, "fill rate").verdict == "low"
    assert verdicts.by_share(0.05, S, "fill rate").verdict == "low"
    assert verdicts.by_share(0.049, S, "fill rate").verdict == "unused"
    assert verdicts.by_share(0.0, AdoptionSettings(used=0.0, low=0.0), "x").verdict == "unused"


def test_field_fill_without_records_or_figures_is_unknown_never_zero():
    assert verdicts.field_fill(3, 10, S).verdict == "used"
    none = verdicts.field_fill(0, 0, S)
    assert none.verdict == "unknown" and "no record" in none.why
    missing = verdicts.field_fill(None, 10, S, "too many rows to page")
    assert (missing.verdict, missing.why) == ("unknown", "too many rows to page")


def test_object_reach_counts_records_then_creators_against_eligible_users():
    assert verdicts.object_reach(0, 0, 10, S).verdict == "unused"
    assert verdicts.object_reach(5, 1, 10, S).verdict == "low"
    assert verdicts.object_reach(5, 4, 10, S).verdict == "used"
    assert verdicts.object_reach(5, None, None, S).verdict == "used"
    assert verdicts.object_reach(None, None, None, S).verdict == "unknown"


def test_page_views_report_flow_and_audience_rules():
    assert verdicts.page_views(3, 3, S).verdict == "used"
    assert verdicts.page_views(0, 3, S).verdict == "unused"
    assert verdicts.page_views(None, 3, S).verdict == "unknown"
    assert verdicts.page_views(0, 0, S).verdict == "unknown"  # released today
    assert verdicts.report_run(True).verdict == "used"
    assert verdicts.report_run(False).verdict == "unused"
    assert verdicts.report_run(None).verdict == "unknown"
    assert verdicts.flow_runs(0, 0).verdict == "unused"
    run = verdicts.flow_runs(4, 1)
    assert run.verdict == "used" and "25% failed" in run.why
    assert verdicts.audience(0, 0, S).verdict == "unused"
    assert verdicts.audience(10, 1, S).verdict == "low"
    assert verdicts.audience(100, 1, S).verdict == "unused"
    assert verdicts.audience(10, 5, S).verdict == "used"
    assert verdicts.audience(10, None, S).verdict == "unknown"


def test_a_verdict_settles_after_the_configured_days():
    assert not verdicts.settled(13.9, S) and verdicts.settled(14, S)


class FakeOrg:
    """Answers from a table of SOQL prefixes; an object it lacks fails as Salesforce does."""

    def __init__(self, counts: dict[str, int], rows: dict[str, list[dict]],
                 missing: tuple[str, ...] = ()) -> None:
        self.counts, self.rows, self.missing = counts, rows, missing

    def _check(self, soql: str) -> None:
        for name in self.missing:
            if f"FROM {name} " in soql + " ":
                raise OrgError(f"prod: query failed: HTTP 400: sObject type '{name}' is not "
                               "supported", code="INVALID_TYPE")

    def count(self, soql: str) -> int:
        self._check(soql)
        return next(v for k, v in self.counts.items() if k in soql)

    def query(self, soql: str) -> list[dict]:
        self._check(soql)
        return next((v for k, v in self.rows.items() if k in soql), [])


def _measure(org: FakeOrg, component: str, facts: dict[str, dict[str, str]] | None = None):
    log = CallLog()
    known = ComponentFacts(None, None, default_registry())  # type: ignore[arg-type]
    known.values = lambda cid: (facts or {}).get(str(cid), {})  # type: ignore[method-assign]
    row = measure(CountingOrg(org, log), known, S, "R1", component, T0.isoformat(), NOW)
    return row, log.calls


def test_an_object_the_org_does_not_offer_is_unknown_not_zero():
    org = FakeOrg({}, {}, missing=("LightningUsageByFlexiPageMetrics", "FlowInterviewLog"))
    page, calls = _measure(org, "FlexiPage:Case_Page")
    assert (page.verdict, page.figures) == ("unknown", {})
    assert "INVALID_TYPE" not in page.why or "does not offer" in page.why
    assert len(calls) == 1
    flow, _ = _measure(org, "Flow:Intake", {"Flow:Intake": {"processType": "Flow"}})
    assert flow.verdict == "unknown" and flow.figures == {}


def test_apex_autolaunched_flows_standard_objects_and_formula_fields_are_unknown_without_a_call():
    org = FakeOrg({}, {})
    for component, facts in (("ApexClass:InvoiceService", {}),
                             ("LightningComponentBundle:invoiceCard", {}),
                             ("Flow:Set_Due_Date", {"processType": "AutoLaunchedFlow"}),
                             ("CustomObject:Account", {}),
                             ("CustomField:Invoice__c.Days_Overdue__c", {"formula": "TODAY()"})):
        row, calls = _measure(org, component, {component: facts})
        assert (row.verdict, row.signal, calls) == ("unknown", "none", []), component
        assert row.figures.get("fill_rate") is None and row.figures.get("records") is None


def test_a_network_failure_is_raised_not_turned_into_unknown():
    class Down(FakeOrg):
        def count(self, soql: str) -> int:
            raise OrgError("prod: query failed: ConnectionError")

    with pytest.raises(OrgError):
        _measure(Down({}, {}), "CustomField:Invoice__c.Status__c")


def test_a_screen_flow_counts_runs_and_errors():
    org = FakeOrg({"InterviewStatus = 'Error'": 1, "FlowInterviewLog": 4}, {})
    row, calls = _measure(org, "Flow:Intake", {"Flow:Intake": {"processType": "Flow"}})
    assert row.figures == {"runs": 4, "errors": 1, "error_rate": 0.25}
    assert row.verdict == "used" and len(calls) == 2


def test_a_permission_set_audience_reads_assignments_and_logins_in_chunks():
    users = [f"005{i:015d}" for i in range(250)]
    assignments = [{"AssigneeId": u, "SystemModstamp": "2026-12-02T00:00:00.000+0000"}
                   for u in users]
    org = FakeOrg({}, {"PermissionSetAssignment": assignments,
                       "LoginHistory": [{"UserId": users[0]}, {"UserId": users[1]}]})
    row, calls = _measure(org, "PermissionSet:Billing_Manager")
    assert row.figures["members"] == 250 and row.figures["added_since_release"] == 250
    assert len(calls) == 3  # assignments + two chunks of logins (200 ids each)
    assert row.verdict == "unused"  # 2 of 250 logged in: below 5%


def test_t0_is_the_last_deployed_promotion_unless_rolled_back():
    def entry(action: str, result: str, finished: str, env: str = "prod") -> LogEntry:
        return LogEntry(action, env, result, "u", finished, finished)

    log = [entry("promote", "deployed", "2026-12-01T10:00:00Z"),
           entry("promote", "deploy_failed", "2026-12-02T10:00:00Z"),
           entry("promote", "deployed", "2026-12-03T10:00:00Z", env="qa")]
    assert deployed_at(log, "prod") == "2026-12-01T10:00:00Z"
    assert deployed_at(log + [entry("rollback", "rolled_back", "2026-12-04T00:00:00Z")],
                       "prod") is None
    assert deployed_at(log, "uat") is None


MINIMAL = """\
project: acme
api_version: "62.0"
environments:
  prod: {login_url: "https://127.0.0.1:8443", username: admin@acme, password_env: PROD_PW}
path: [prod]
"""


def test_the_adoption_block_loads_and_each_mistake_names_file_and_line(tmp_path: Path):
    path = tmp_path / "sfenv.yml"
    assert load_config(_write(path, MINIMAL)).adoption == AdoptionSettings(14, 0.3, 0.05)
    config = load_config(_write(path, MINIMAL + "adoption: {days: 30, used: 0.5, low: 0.1}\n"))
    assert config.adoption == AdoptionSettings(30, 0.5, 0.1)
    for block, words in (("adoption: {days: 0}", "adoption.days"),
                         ("adoption: {used: 1.5}", "adoption.used must be a share"),
                         ("adoption: {used: 0.1, low: 0.2}", "must not be above"),
                         ("adoption: {often: 3}", "unknown key 'often'")):
        with pytest.raises(ConfigError) as err:
            load_config(_write(path, MINIMAL + block + "\n"))
        assert f"{path}:6" in str(err.value) and words in str(err.value), str(err.value)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_long_text_area_is_paged_never_filtered():
    org = FakeOrg({"LastModifiedDate": 4}, {"SELECT Notes__c": [{"Notes__c": "x"},
                                                              {"Notes__c": " "}]})
    figures = signals.field_fill(CountingOrg(org, CallLog()), "Case", "Notes__c",
                                 "LongTextArea", T0)
    assert (figures["records"], figures["filled"], figures["fill_rate"]) == (4, 1, 0.25)


def test_only_settled_unused_components_make_one_exception_event():
    from sfenv.services.adoption.alerts import adoption_events
    from sfenv.services.adoption.service import AdoptionRun, Measure

    run = AdoptionRun("prod", NOW.isoformat(), S)
    run.rows = [Measure("R1", "CustomField:Case.A__c", "t", 20, "fill_rate", "unused", "0%", True),
                Measure("R1", "CustomField:Case.B__c", "t", 3, "fill_rate", "unused", "0%", False),
                Measure("R2", "Report:F/R", "t", 20, "report_run", "unused", "not run", True)]
    (event,) = adoption_events(run)
    assert event.kind == "adoption_unused" and event.title == "2 components unused after 14 days"
    assert event.summary == "CustomField:Case.A__c (R1): 0%" and event.lines == ("Report:F/R (R2): not run",)
    run.rows = run.rows[1:2]
    assert adoption_events(run) == []


PROFILE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <objectPermissions><allowCreate>true</allowCreate><object>Case</object></objectPermissions>
    <objectPermissions><allowCreate>false</allowCreate><object>Lead</object></objectPermissions>
</Profile>
"""
PERMSET = PROFILE.replace(b"Profile", b"PermissionSet")


def test_eligible_users_come_from_the_profiles_and_permission_sets_that_grant_create(tmp_path):
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.adoption.grants import object_grants

    store = SnapshotStore(tmp_path / "repo")
    commit = store.write_ref_commit("refs/sfenv/test", {
        "profiles/Admin.profile": PROFILE, "profiles/Custom%3A Sales.profile": PROFILE,
        "permissionsets/Case_Desk.permissionset": PERMSET}, "t\n", expected_old=None)
    grants = object_grants(store, commit)
    assert grants["Case"] == ({"System Administrator", "Custom: Sales"}, {"Case_Desk"})
    assert "Lead" not in grants

    org = FakeOrg({"FROM Case WHERE CreatedDate": 6},
                  {"SELECT COUNT_DISTINCT(CreatedById) creators": [{"creators": 2}],
                   "FROM User WHERE IsActive = true AND Profile.Name IN": [{"Id": "005A"},
                                                                           {"Id": "005C"}],
                   "PermissionSet.Name IN ('Case_Desk')": [{"AssigneeId": "005C"},
                                                           {"AssigneeId": "005D"}]})
    figures = signals.object_records(CountingOrg(org, CallLog()), "Case", T0, grants["Case"])
    assert (figures["records"], figures["creators"], figures["eligible_users"]) == (6, 2, 3)
    assert verdicts.object_reach(6, 2, 3, S).verdict == "used"


def test_a_long_text_area_on_too_many_records_is_unknown_with_the_reason():
    org = FakeOrg({"LastModifiedDate": signals.ROW_CAP + 1}, {})
    log = CallLog()
    figures = signals.field_fill(CountingOrg(org, log), "Case", "Notes__c", "LongTextArea", T0)
    assert figures["filled"] is None and figures["fill_rate"] is None
    assert "cannot be filtered" in str(figures["unknown_why"]) and len(log.calls) == 1
    row, _ = _measure(org, "CustomField:Case.Notes__c",
                      {"CustomField:Case.Notes__c": {"type": "LongTextArea"}})
    assert row.verdict == "unknown" and "cannot be filtered" in row.why
