"""`sfenv report` as a user runs it: writes the file, prints its path, or prints JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfenv.cli import main
from sfenv.io.store.snapshots import SnapshotStore

NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
CONFIG = """\
project: Acme <CRM>
environments:
  dev:
    instance_url: https://dev.example.invalid
    access_token_env: SFENV_TEST_TOKEN
    owner: Ada
  prod:
    instance_url: https://prod.example.invalid
    access_token_env: SFENV_TEST_TOKEN
    production: true
path: [dev, prod]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "sfenv.yml").write_text(CONFIG)
    store = SnapshotStore(tmp_path)
    role = f"<Role {NS}><name>Chief &amp; Boss</name></Role>\n".encode()
    store.write_snapshot("dev", {"roles/CEO.role": role}, {"env": "dev"}, expected_old=None)
    return tmp_path


def test_report_writes_html_and_prints_its_path(project: Path, monkeypatch):
    monkeypatch.chdir(project)
    (project / "out").mkdir()
    result = CliRunner().invoke(main, ["report", "--out", "out/r.html", "--config", "sfenv.yml"])
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip())
    assert written == (project / "out" / "r.html").resolve()
    html = written.read_text()
    assert "Acme &lt;CRM&gt;" in html and "Chief &amp; Boss" in html
    assert "prod: no snapshot yet" in html
    assert "sfenv report --config" in html and "--out out/r.html" in html
    assert not list((project / "out").glob(".*.tmp"))


def test_report_json_has_the_documented_top_level_keys(project: Path, monkeypatch):
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["report", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert sorted(data) == ["backups", "generated", "hops", "notices", "owd", "path", "project",
                            "records", "reproduce", "role_trees", "trains"]
    assert data["path"][0]["name"] == "dev" and data["path"][1]["commit"] is None
    assert data["role_trees"][0]["roots"][0]["label"] == "Chief & Boss"
    assert not (project / "report.html").exists()


def test_report_into_missing_folder_is_a_one_line_error(project: Path, monkeypatch):
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["report", "--out", "nowhere/r.html"])
    assert result.exit_code == 2
    assert "nowhere" in result.output and "Traceback" not in result.output
