"""The re-check before the deploy call (issue 22) covers components in folders too: a report
changed by hand in the target while the promotion validated is named and refused like any
other component (it used to be skipped, since listing in-folder types takes a folder)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from sfenv.io.org.client import OrgClient
from sfenv.localorg.testing import running_org
from tests.projects import Project, write_config

ENVS = ("dev", "qa")
REPORT = "reports/Sales/Pipeline.report"
FOLDER = ('<?xml version="1.0" encoding="UTF-8"?>\n<ReportFolder xmlns="http://soap.sforce.com/'
          '2006/04/metadata">\n    <name>Sales</name>\n</ReportFolder>\n')


def report(description: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Report xmlns="http://soap.sforce.com/2006/'
            f'04/metadata">\n    <description>{description}</description>\n'
            '    <format>Tabular</format>\n    <name>Pipeline</name>\n'
            '    <reportType>Opportunity</reportType>\n</Report>\n')


def seed(folder: Path) -> None:
    (folder / "reports" / "Sales").mkdir(parents=True)
    (folder / "reports" / "Sales-meta.xml").write_text(FOLDER)
    (folder / REPORT).write_text(report("v0"))
    (folder / ".localorg").mkdir()
    users = [{"username": f"{n.split()[0].lower()}@folders.example", "name": n,
              "profile": "System Administrator"} for n in ("Org Admin", "Hand User")]
    (folder / ".localorg" / "seed.json").write_text(json.dumps(
        {"org_name": "Folder Org", "is_sandbox": True, "users": users, "components": {},
         "audit_trail": []}))


def edit_report(project: Project, env: str, description: str) -> None:
    """A hand change of the report in `env`'s org, by Hand User."""
    org = project.orgs[env].server.org
    with org.lock:
        (org.metadata_dir / REPORT).write_text(report(description))
        org.touch_components(["Report:Sales/Pipeline"], org.user_by_name("Hand User"))
        org.save()


def description(project: Project, env: str) -> str:
    text = (project.orgs[env].server.org.metadata_dir / REPORT).read_text()
    return text.split("<description>", 1)[1].split("<", 1)[0]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Iterator[Project]:
    with ExitStack() as stack:
        orgs = {}
        for env in ENVS:
            seed(tmp_path / "orgs" / env)
            orgs[env] = stack.enter_context(running_org(tmp_path / "orgs" / env))
        root = tmp_path / "project"
        root.mkdir()
        config = write_config(root, orgs, monkeypatch, production=None, extra="manifest: core")
        p = Project(root, config, orgs)
        for env in ENVS:
            p.ok("pull", env, "--quiet")
        edit_report(p, "dev", "v1")
        p.ok("pull", "dev", "--quiet")
        p.ok("release", "build", "R1")
        yield p


@pytest.fixture
def hand_change_while_validating(project, monkeypatch):
    real = OrgClient.deploy

    def deploy(self, data, *, check_only=False, **kw):
        result = real(self, data, check_only=check_only, **kw)
        if check_only:
            edit_report(project, "qa", "hand")
        return result

    monkeypatch.setattr(OrgClient, "deploy", deploy)


def test_a_report_changed_while_the_validation_runs_is_named_and_refused(
        project, hand_change_while_validating):
    result = project.cli("release", "promote", "R1", "--to", "qa")
    assert result.exit_code == 1, result.output
    assert "Report:Sales/Pipeline: changed in the target by Hand User" in result.output
    assert "while the promotion validated" in result.output
    assert description(project, "qa") == "hand", "the hand change was overwritten"


def test_overwrite_names_the_report_and_the_record_says_so(project, hand_change_while_validating):
    result = project.cli("release", "promote", "R1", "--to", "qa", "--overwrite",
                         "Report:Sales/Pipeline")
    assert result.exit_code == 0, result.output
    assert description(project, "qa") == "v1"
    assert "overwriting qa's change (--overwrite): Report:Sales/Pipeline" in result.output
