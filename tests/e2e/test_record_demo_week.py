"""The week of issue 26 on four environments (dev → qa → uat → prod), as a release manager runs
it: the key lines of every command are fixed here, so a wording or attribution regression shows
in review. dev holds Jamal Wright's and Marcus Chen's work (Marcus Chen deleted
ApexClass:InvoicePdfLegacy); qa and uat hold the next release; prod has Priya Patel's hotfix.
"""

from __future__ import annotations

import re

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.seeds import ENV_VALUES
from tests.projects import local_project

SEEDS = {"dev": "acme-dev", "qa": "acme-qa", "uat": "acme-qa", "prod": "acme-prod"}


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _has(text: str, pattern: str) -> None:
    assert any(re.search(pattern, line) for line in _lines(text)), f"{pattern!r} not in:\n{text}"


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> dict[str, str]:
    """Every command of the week, with its output (one run; the tests read the outputs)."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)
        values = {env: ENV_VALUES[seed] for env, seed in SEEDS.items()}
        with local_project(tmp_path_factory.mktemp("week"), SEEDS, mp, values=values) as p:
            out: dict[str, str] = {}

            def run(key: str, *args: str, code: int = 0) -> None:
                result = p.cli(*args)
                assert result.exit_code == code, f"sfenv {' '.join(args)}: {result.output}"
                out[key] = result.output

            p.pull_all()
            run("status monday", "status")
            run("plan R1", "release", "plan", "R1", "--from", "dev", "--to", "qa")
            run("build R1", "release", "build", "R1", "--from", "dev", "--to", "qa")
            run("promote R1 qa", "release", "promote", "R1", "--to", "qa", "--yes")
            run("release status", "release", "status")
            run("plan R2", "release", "plan", "R2", "--from", "qa", "--to", "uat")
            run("plan R3", "release", "plan", "R3", "--from", "uat", "--to", "prod")
            run("backup 1", "backup", "prod", "--quiet")
            run("backup 2", "backup", "prod", "--quiet")
            run("report", "report", "--out", str(p.root / "report.html"))
            out["report.html"] = (p.root / "report.html").read_text()
            out["tags"] = "\n".join(SnapshotStore(p.root).tags("backup/prod/"))
            yield out


def test_monday_status_credits_the_authors_and_the_deleter(week):
    text = week["status monday"]
    _has(text, r"pending ApexClass:InvoicePdfLegacy .*deleted in dev by Marcus Chen")
    _has(text, r"pending CustomField:Account.Customer_Since__c .*Jamal Wright")
    _has(text, r"drift CustomField:Account.Region__c .*Priya Patel")


def test_the_first_plan_credits_the_deleter_and_counts_in_the_glossarys_words(week):
    text = week["plan R1"]
    _has(text, r"^\+ CustomField:Account.Customer_Since__c \(Jamal Wright")
    _has(text, r"^- ApexClass:InvoicePdfLegacy \(Marcus Chen")
    assert "Lena Novak" not in text
    assert "ProfileClassAccess" not in text  # they go with the deleted class
    _has(text, r"^Plan: \d+ to add, \d+ to change, 1 to delete, \d+ manual; \d+ files, \d+ bytes\.$")


def test_the_build_counts_package_members_and_one_deletion(week):
    _has(week["build R1"], r"^\d+ package members, of which 1 deletion; \d+ manual; \d+ files")
    assert "1 deletions" not in week["build R1"]


def test_a_train_from_qa_credits_upstream_authors_not_the_deploy_user(week):
    text = week["plan R2"]
    _has(text, r"^\+ CustomField:Account.Customer_Since__c \(Jamal Wright")
    _has(text, r"^\+ CustomField:Invoice__c.Discount__c \(Marcus Chen")
    _has(text, r"^- ApexClass:InvoicePdfLegacy \(Marcus Chen")
    assert "Acme Administrator" not in "\n".join(
        line for line in _lines(text) if line.startswith(("+", "~", "-")) and "Region" not in line)


def test_the_plan_into_prod_names_the_hotfix_it_would_overwrite(week):
    text = week["plan R3"]
    _has(text, r"^Changes made in prod that this train would overwrite")
    _has(text, r"Region__c.*Priya Patel")


def test_release_status_states(week):
    text = week["release status"]
    _has(text, r"^R1 built .* from dev, \d+ package members")
    _has(text, r"^qa deployed")


def test_an_unchanged_nightly_backup_adds_no_tag(week):
    assert week["backup 2"].startswith("prod: unchanged since backup/prod/")
    assert len(week["tags"].splitlines()) == 1


def test_the_report_has_no_false_removal_and_credits_the_deleter(week):
    html = week["report.html"]
    uat_tree = html[html.index('id="roles-uat"'):html.index('id="roles-prod"')]
    assert "mark-removed" not in uat_tree
    # R1 brought EMEA Sales Manager to qa, not yet to uat: that is no removal
    assert re.search(r"EMEA Sales Manager</span> <span class=\"mark mark-upstream\">◌ not promoted "
                     r"here yet", uat_tree), uat_tree[:3000]
    assert "unknown</strong> <span class=\"muted\">in dev" not in html
