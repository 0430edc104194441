"""`sfenv status --fail-on-drift [ENV,...]` watches the environments it names (production by
default, as the README's CI job expects); `sfenv sync-point` only records hops of the path."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from compare_helpers import account, field_xml, snap

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore

CONFIG = """\
project: acme
api_version: "62.0"
environments:
  dev: {auth: access_token, access_token_env: X, instance_url: "https://dev.example"}
  qa: {auth: access_token, access_token_env: X, instance_url: "https://qa.example"}
  prod: {auth: access_token, access_token_env: X, instance_url: "https://prod.example",
         production: true}
path: [dev, qa, prod]
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """qa holds a field nobody released (drift on dev → qa); prod equals qa."""
    (tmp_path / "sfenv.yml").write_text(CONFIG)
    store = SnapshotStore(tmp_path)
    plain = {"objects/Account.object": account(field_xml("Region__c", 80))}
    hot = {"objects/Account.object": account(field_xml("Hot__c", 5) + "\n"
                                             + field_xml("Region__c", 80))}
    snap(store, "dev", plain)
    snap(store, "qa", hot)
    snap(store, "prod", hot)
    return tmp_path


def run(project: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(project / "sfenv.yml")])


def test_fail_on_drift_alone_watches_production_only(project):
    result = run(project, "status", "--fail-on-drift")
    assert result.exit_code == 0, result.output
    assert "1 drift" in result.output  # qa's drift is shown, it just does not fail the job


def test_fail_on_drift_naming_an_env_fails_on_its_drift(project):
    assert run(project, "status", "--fail-on-drift", "qa").exit_code == 1
    assert run(project, "status", "--fail-on-drift", "qa,prod").exit_code == 1
    result = run(project, "status", "--fail-on-drift", "--json")  # the flag form before --json
    assert result.exit_code == 0 and result.output.lstrip().startswith("{")


def test_fail_on_drift_with_an_unknown_env_is_a_usage_error(project):
    result = run(project, "status", "--fail-on-drift", "uat")
    assert result.exit_code == 2 and "uat" in result.output


@pytest.mark.parametrize("a,b", [("qa", "dev"), ("dev", "prod"), ("prod", "qa")])
def test_sync_point_of_a_pair_that_is_not_a_hop_is_refused(project, a, b):
    result = run(project, "sync-point", a, b)
    assert result.exit_code == 2, result.output
    assert f"{a} → {b} is not a hop of the promotion path" in result.output
    assert SnapshotStore(project).ref_commit(f"refs/sfenv/sync/{a}/{b}") is None


def test_sync_point_of_a_hop_is_recorded(project):
    assert run(project, "sync-point", "dev", "qa").exit_code == 0
    assert SnapshotStore(project).ref_commit("refs/sfenv/sync/dev/qa")
