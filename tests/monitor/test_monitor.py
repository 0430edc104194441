"""`sfenv monitor`: the rules on plain data, then whole runs against a local org."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.changes import apply_change
from sfenv.services.monitor import checks
from sfenv.services.monitor.service import last_run
from tests.projects import local_project

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_outside_changes_leave_out_the_release_users_whatever_the_case():
    rows = [
        {"CreatedByName": "Acme Integration", "Section": "Apex Class", "Display": "x",
         "CreatedDate": "2026-12-06T10:00:00.000+0000"},
        {"CreatedByName": "Priya Patel", "Section": "Customize Accounts",
         "Display": "Changed Region length", "CreatedDate": "2026-12-06T11:00:00.000+0000"},
    ]
    (finding,) = checks.outside_changes("prod", rows, ["acme integration"])
    assert finding.who == "Priya Patel"
    assert finding.message == "Priya Patel changed Customize Accounts: Changed Region length"


def test_backup_freshness_says_missing_stale_or_nothing():
    assert checks.backup_freshness("prod", None, NOW, 26)[0].kind == "backup_missing"
    stale = checks.backup_freshness("prod", NOW - timedelta(hours=30), NOW, 26)
    assert stale[0].kind == "backup_stale" and "30 h old (at most 26 h)" in stale[0].message
    assert checks.backup_freshness("prod", NOW - timedelta(hours=2), NOW, 26) == []


def test_limits_near_compares_the_used_share_with_each_threshold():
    limits = {"DailyApiRequests": {"Max": 100000, "Remaining": 15000},
              "DataStorageMB": {"Max": 1000, "Remaining": 900},
              "FileStorageMB": {"Max": 0, "Remaining": 0}}
    found = checks.limits_near("prod", limits, {"DailyApiRequests": 0.8, "DataStorageMB": 0.9,
                                                "FileStorageMB": 0.9, "Missing": 0.1})
    assert [f.what for f in found] == ["DailyApiRequests"]
    assert found[0].message == "DailyApiRequests: 85% used (85000 of 100000; threshold 80%)"


def test_deployments_name_failed_and_pending_ones():
    rows = [{"Id": "0Af1", "Status": "Failed", "CreatedDate": "2026-12-06T09:00:00Z",
             "CreatedBy": {"Name": "Tom Becker"}},
            {"Id": "0Af2", "Status": "InProgress", "CheckOnly": True,
             "CreatedDate": "2026-12-06T10:00:00Z"},
            {"Id": "0Af3", "Status": "Succeeded", "CreatedDate": "2026-12-06T11:00:00Z"}]
    assert [f.message for f in checks.deployments("prod", rows)] == [
        "deployment 0Af1 failed, started by Tom Becker",
        "deployment 0Af2 (validation) is still InProgress"]


def test_salesforce_and_iso_times_parse_alike():
    assert checks.parse_time("2026-12-06T12:00:00.000+0000") == NOW
    assert checks.parse_time("2026-12-06T12:00:00Z") == NOW


def test_a_run_names_a_hand_change_and_the_missing_backup_then_starts_where_it_stopped(
        tmp_path, monkeypatch):
    extra = "monitor:\n  limits: {DailyApiRequests: 0.0}\n"
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch, extra=extra) as project:
        org = project.orgs["prod"].server.org
        apply_change(org, as_user="Priya Patel",
                     set_field=("CustomField:Account.Region__c", "length=120"))
        first = project.cli("monitor", "prod", "--json", "--no-notify")
        assert first.exit_code == 1, first.output
        report = json.loads(first.stdout)
        kinds = [f["kind"] for f in report["envs"][0]["findings"]]
        assert "outside_change" in kinds and "backup_missing" in kinds and "limit_near" in kinds
        change = next(f for f in report["envs"][0]["findings"] if f["kind"] == "outside_change")
        assert change["who"] == "Priya Patel" and "Region" in change["message"]
        # The release process's own login user is not an outside change.
        assert all(f["who"] != org.admin.name for f in report["envs"][0]["findings"])
        store = SnapshotStore(project.config().root)
        assert last_run(store, "prod")["checked_at"] == report["envs"][0]["checked_at"]

        project.ok("backup", "prod")
        second = project.cli("monitor", "prod", "--json", "--no-notify")
        kinds = [f["kind"] for f in json.loads(second.stdout)["envs"][0]["findings"]]
        assert kinds == ["limit_near"], second.stdout  # the change was reported once; the backup is fresh


def test_a_quiet_org_exits_0_and_says_so(tmp_path, monkeypatch):
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch) as project:
        project.ok("backup", "prod")
        result = project.cli("monitor", "--no-notify")
        assert result.exit_code == 0, result.output
        assert "prod: nothing needs attention since" in result.output


def test_an_unknown_environment_is_exit_2_before_any_org_is_asked(tmp_path, monkeypatch):
    with local_project(tmp_path, {"prod": "acme-prod"}, monkeypatch) as project:
        result = project.cli("monitor", "PROD")
        assert result.exit_code == 2 and "unknown environment 'PROD'" in result.output


def test_outside_changes_alert_as_drift_only_in_production(tmp_path, monkeypatch):
    from sfenv.services.monitor.alerts import monitor_events
    from sfenv.services.monitor.checks import Finding
    from sfenv.services.monitor.service import EnvMonitor, MonitorReport

    with local_project(tmp_path, {"qa": "acme-qa", "prod": "acme-prod"}, monkeypatch) as project:
        config = project.config()
    change = "outside_change"
    report = MonitorReport([
        EnvMonitor("qa", "s", "c", [Finding(change, "qa", "Tom changed x")]),
        EnvMonitor("prod", "s", "c", [Finding(change, "prod", "Priya changed y"),
                                      Finding(change, "prod", "Priya changed z"),
                                      Finding("backup_missing", "prod", "no backup")]),
    ])
    events = monitor_events(config, report)
    assert [(e.kind, e.env, e.title) for e in events] == [
        ("backup_stale", "prod", "no backup"),
        ("drift_in_production", "prod", "2 changes outside the release process")]
    assert events[1].summary == "Priya changed y" and events[1].lines == ("Priya changed z",)
