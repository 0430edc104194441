"""Who a train credits (issue 26, attribution): the upstream author of each component, as
`sfenv status` says, never the deploy user who carried it into the source environment, and
a deletion to who deleted it, never to the last modifier of the deleted file.

The demo orgs: dev has Jamal Wright's and Marcus Chen's work; Marcus Chen deleted
ApexClass:InvoicePdfLegacy in dev (its last modifier in qa and prod is Lena Novak). R1 carries
dev's work to qa; R2 is then built from qa (which got the work by promotion) for prod.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.projects import copied_project

SEEDS = {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod"}
DELETED = "ApexClass:InvoicePdfLegacy"
AUTHORS = {"CustomField:Account.Customer_Since__c": "Jamal Wright",
           "CustomField:Invoice__c.Discount__c": "Marcus Chen",
           "Role:EMEA_Sales_Manager": "Jamal Wright"}


@pytest.fixture(scope="module")
def week(acme_pulled, tmp_path_factory):
    """The demo orgs pulled once (a copy of the session's `acme_pulled`: the same seeds and
    `values:`), then R1 planned, built and promoted to qa."""
    assert acme_pulled.envs == SEEDS
    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)
        with copied_project(acme_pulled, tmp_path_factory.mktemp("attr"), mp) as project:
            project.first_plan = project.cli_json(  # type: ignore[attr-defined]
                "release", "plan", "R1", "--from", "dev", "--to", "qa")
            project.first_report = project.cli_json("report")  # type: ignore[attr-defined]
            project.ok("release", "build", "R1", "--from", "dev", "--to", "qa")
            project.ok("release", "promote", "R1", "--to", "qa", "--yes")
            yield project


def _by(items: list[dict]) -> dict[str, str | None]:
    return {i["component"]: i.get("last_modified_by") for i in items}


def test_a_deletion_in_the_first_hop_is_credited_to_who_deleted_it(week):
    plan = week.first_plan
    deletes = _by(plan["deletes"])
    assert deletes[DELETED] == "Marcus Chen"  # dev's audit trail, not qa's Lena Novak


def test_release_notes_credit_the_deletion_to_who_deleted_it(week):
    notes = (week.root / "releases" / "R1" / "RELEASE_NOTES.md").read_text()
    [row] = [line for line in notes.splitlines() if f"`{DELETED}`" in line]
    assert "Marcus Chen" in row and "Lena Novak" not in row


def test_a_train_from_an_environment_fed_by_promotion_credits_the_upstream_authors(week):
    plan = week.cli_json("release", "plan", "R2", "--from", "qa", "--to", "prod")
    found = _by(plan["adds"] + plan["changes"] + plan["deletes"])
    for component, author in AUTHORS.items():
        assert found[component] == author, (component, found[component])
    assert found[DELETED] == "Marcus Chen"
    text = week.ok("release", "plan", "R2", "--from", "qa", "--to", "prod").output
    assert re.search(r"- ApexClass:InvoicePdfLegacy\s+\(Marcus Chen", text), text


def test_status_after_the_promotion_credits_the_deletion_upstream(week):
    status = week.cli_json("status")
    [hop] = [h for h in status["hops"] if h["target"] == "prod"]
    entries = {e["component"]: e for e in hop["entries"]}
    assert "by Marcus Chen" in entries[DELETED]["reason"], entries[DELETED]["reason"]


def _rows(report: dict, source: str) -> list[dict]:
    return [row for h in report["hops"] if h["source"] == source
            for g in h.get("groups", []) for row in g["rows"] if row["component"] == DELETED]


def test_the_report_changed_by_cell_names_who_deleted_it(week):
    """Before the train: dev → qa; after it reached qa: qa → prod. Never "unknown in dev"
    next to "deleted in dev by Marcus Chen"."""
    for report, source in ((week.first_report, "dev"), (week.cli_json("report"), "qa")):
        [row] = _rows(report, source)
        assert [(s["by"], s["env"]) for s in row["changed_in"]] == [("Marcus Chen", source)], row
        assert "by Marcus Chen" in row["reason"]


def test_the_report_and_changelog_components_of_a_train_from_qa_credit_upstream(week):
    """The same rule in the report's train components (shared with `sfenv changelog`)."""
    week.ok("release", "build", "R2", "--from", "qa", "--to", "prod")
    report = week.cli_json("report")
    [r2] = [t for t in report["trains"] if t["name"] == "R2"]
    found = {c["component"]: c["by"] for c in r2["component_list"]}
    for component, author in AUTHORS.items():
        assert found[component] == author, (component, found[component])
    assert found[DELETED] == "Marcus Chen"
    notes = (week.root / "releases" / "R2" / "RELEASE_NOTES.md").read_text()
    today = datetime.now(UTC).strftime("%Y-%m-%d")  # the day R1 was deployed to qa
    rows = [line for line in notes.splitlines() if line.startswith("| `")]
    assert rows and not [r for r in rows if today in r], notes


def test_a_whole_permission_set_deploy_keeps_the_targets_own_entries_author(week):
    """R1 deployed Billing_Manager whole to qa; qa's own entries (Payment_Terms__c, from qa's
    release) keep qa's author of the set, never the deploy user."""
    plan = week.cli_json("release", "plan", "R3", "--from", "qa", "--to", "prod")
    found = _by(plan["adds"] + plan["changes"])
    entry = "PermissionSetFieldPermission:Billing_Manager/Invoice__c.Payment_Terms__c"
    assert found[entry] == "Marcus Chen", found[entry]
    assert "Acme Administrator" not in {found[c] for c in found if "Billing_Manager" in c}


def test_class_access_entries_go_with_the_deleted_class_not_to_a_manual_list(week):
    """Deleting InvoicePdfLegacy removes the profiles' access to it: no "held back for a
    manual step" lines, no "by hand" steps for it."""
    plan = week.first_plan
    assert [i["component"] for i in plan["manual"] if "InvoicePdfLegacy" in i["component"]] == []
    text = week.ok("checklist", "R1", "--env", "prod").output
    assert "InvoicePdfLegacy" not in text and "manual_types" not in text


def test_the_checklist_prints_the_exact_command_that_ticks_a_step(week):
    text = week.ok("checklist", "R1", "--env", "prod").output
    [line] = [ln for ln in text.splitlines() if ln.startswith("_Tick a step when done:")]
    command = line.split("`")[1].split()
    assert command[:3] == ["sfenv", "checklist", "done"] and command[-2:] == ["--env", "prod"]
    done = week.ok(*command[1:])  # copied as printed, without retyping an id
    assert command[4] in done.output or "done" in done.output.lower()
