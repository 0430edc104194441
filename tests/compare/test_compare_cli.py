"""`sfenv diff`, `sfenv status`, `sfenv sync-point` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from compare_helpers import account, field_xml, snap, xml

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore

CONFIG = """\
project: acme
api_version: "62.0"
environments:
  qa:
    access_token_env: X
    auth: access_token
    instance_url: https://qa.example
    values:
      billing_endpoint: https://api.qa.acme-billing.example
  prod:
    access_token_env: X
    auth: access_token
    instance_url: https://prod.example
    production: true
    values:
      billing_endpoint: https://api.acme-billing.example
path: [qa, prod]
"""


def credential(endpoint: str) -> bytes:
    return xml("NamedCredential", f"    <endpoint>{endpoint}/v1</endpoint>\n"
                                  "    <label>Billing</label>")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "sfenv.yml").write_text(CONFIG)
    store = SnapshotStore(tmp_path)
    snap(store, "qa", {"objects/Account.object": account(field_xml("Region__c", 255)),
                       "namedCredentials/Billing.namedCredential":
                           credential("https://api.qa.acme-billing.example")})
    snap(store, "prod", {"objects/Account.object": account(field_xml("Region__c", 80)),
                         "namedCredentials/Billing.namedCredential":
                             credential("https://api.acme-billing.example")})
    return tmp_path


def run(project: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(project / "sfenv.yml")])


def test_diff_json_has_stable_keys_and_neutralizes_declared_values(project):
    result = run(project, "diff", "prod", "qa", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc) == {"schema", "a", "b", "summary", "changes", "files_changed", "blobs_read"}
    assert doc["schema"] == "sfenv.diff/1" and doc["a"]["name"] == "prod"
    (change,) = doc["changes"]  # the endpoint differs only by the declared value
    assert set(change) == {"component", "type", "name", "kind", "parent", "path", "elements",
                           "a_modified", "b_modified"}
    assert change["component"] == "CustomField:Account.Region__c"
    assert change["elements"][0] == {"path": "length", "kind": "changed", "old": "80",
                                     "new": "255", "text": "length 80 → 255"}
    assert doc["summary"]["by_type"] == {"CustomField": {"added": 0, "removed": 0, "modified": 1}}


def test_diff_exit_codes_follow_fail_on_diff_and_filters(project):
    assert run(project, "diff", "prod", "qa", "--fail-on-diff").exit_code == 1
    assert run(project, "diff", "prod", "prod", "--fail-on-diff").exit_code == 0
    assert run(project, "diff", "prod", "qa", "--fail-on-diff", "--type", "ApexClass").exit_code == 0
    (project / ".sfenvignore").write_text("CustomObject:Account\n")
    assert run(project, "diff", "prod", "qa", "--fail-on-diff").exit_code == 0


def test_diff_text_and_markdown_group_by_type(project):
    text = run(project, "diff", "prod", "qa").output
    assert "CustomField (1)" in text and "~ Account.Region__c" in text
    assert "length 80 → 255" in text
    md = run(project, "diff", "prod", "qa", "--markdown").output
    assert "#### CustomField (1)" in md and "`Account.Region__c`" in md


def test_unknown_snapshot_is_a_one_line_error(project):
    result = run(project, "diff", "nope", "qa")
    assert result.exit_code == 2
    assert "unknown snapshot 'nope'" in result.output and "Traceback" not in result.output


def test_status_reports_production_drift_and_fails_on_it(project):
    result = run(project, "status", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["schema"] == "sfenv.status/1"
    (hop,) = doc["hops"]
    assert {k for k in hop} >= {"source", "target", "mode", "base", "counts", "entries"}
    assert hop["mode"] == "two-way" and hop["counts"]["pending"] == 1  # no dates: dev-side
    assert run(project, "status", "--fail-on-drift").exit_code == 0
    # after a sync point, a change made in prod only is drift outside the release process
    assert run(project, "sync-point", "qa", "prod", "--reason", "baseline").exit_code == 0
    store = SnapshotStore(project)
    snap(store, "prod", {**{p: store.read_blob(s) for p, s in store.files(store.head("prod")).items()},
                         "objects/Account.object": account(field_xml("Region__c", 80), sharing="Read")})
    result = run(project, "status", "--fail-on-drift")
    assert result.exit_code == 1
    assert "drift" in result.output and "CustomObject:Account" in result.output
    doc = json.loads(run(project, "status", "--json").output)
    drift = [e for e in doc["hops"][0]["entries"] if e["status"] == "drift"]
    assert drift and drift[0]["outside_release"] is True


def test_sync_point_needs_snapshots_of_both(project):
    (project / "sfenv.yml").write_text(CONFIG.replace("path: [qa, prod]",
                                                      "  dev:\n    auth: access_token\n"
                                                      "    access_token_env: X\n"
                                                      "    instance_url: https://d.example\n"
                                                      "path: [dev, qa, prod]"))
    result = run(project, "sync-point", "dev", "qa")
    assert result.exit_code == 2 and "sfenv pull dev" in result.output


def test_manual_sync_point_accepts_differences_status_lists_them_with_all(project):
    result = run(project, "sync-point", "qa", "prod", "--reason", "prod region is intended")
    assert result.exit_code == 0 and "1 current differences accepted" in result.output
    doc = json.loads(run(project, "status", "--json").output)
    (hop,) = doc["hops"]
    assert hop["entries"] == [] and hop["counts"]["accepted"] == 1
    (accepted,) = hop["accepted"]
    assert accepted["accepted"]["reason"] == "prod region is intended"
    assert run(project, "status", "--fail-on-drift").exit_code == 0  # accepted is not drift
    text = run(project, "status").output
    assert "1 accepted" in text and "1 accepted difference not shown" in text
    assert f"accepted {accepted['component']}" not in text
    assert f"accepted {accepted['component']}  (was " in run(project, "status", "--all").output
