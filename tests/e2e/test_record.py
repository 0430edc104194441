"""The production record end to end on local orgs: the checklist survives the deploy with its
ticks, after-deploy steps are ticked afterwards, undo works, a rollback and a re-promotion keep
open steps open, and `sfenv changelog prod` tells an auditor what happened."""

from __future__ import annotations

import json

import pytest

from tests.projects import copied_project

TRAIN = "R1"
TICKED_BEFORE = 3


@pytest.fixture(scope="module")
def acme(acme_pulled, tmp_path_factory):
    """A copy of the session's `acme_pulled` (dev, qa, prod from the acme seeds, pulled) with
    R1 promoted to qa, some of prod's before-steps ticked, then promoted to prod."""
    with pytest.MonkeyPatch.context() as mp, copied_project(
            acme_pulled, tmp_path_factory.mktemp("record"), mp) as project:
        project.ok("release", "build", TRAIN, "--from", "dev", "--to", "qa")
        project.ok("release", "promote", TRAIN, "--to", "qa", "--yes")
        before = project.cli_json("checklist", TRAIN, "--env", "prod")["steps"]
        ticked = [s["id"] for s in before if s["phase"] == "before"][:TICKED_BEFORE]
        for step in ticked:
            project.ok("checklist", "done", TRAIN, step, "--env", "prod", "--by", "Ana Lima")
        project.ok("release", "promote", TRAIN, "--to", "prod", "--yes")
        project.before_deploy = before  # type: ignore[attr-defined]
        project.ticked = ticked  # type: ignore[attr-defined]
        yield project


def _steps(project, env="prod"):
    return {s["id"]: s for s in project.cli_json("checklist", TRAIN, "--env", env)["steps"]}


def test_after_the_prod_deploy_the_checklist_lists_every_step_with_the_earlier_ticks(acme):
    now = _steps(acme)
    assert len(acme.ticked) == TICKED_BEFORE
    assert {s["id"] for s in acme.before_deploy} <= set(now)  # every step, none recomputed away
    for step in acme.ticked:
        assert now[step]["done"] and now[step]["done_by"] == "Ana Lima"
    shown = acme.ok("checklist", TRAIN, "--env", "prod").output
    assert "No manual steps" not in shown and "backup" in shown


def test_an_after_deploy_step_is_ticked_after_the_deploy_and_undo_reopens_it(acme):
    step = "group-members.Finance_Approvers"
    assert _steps(acme)[step]["phase"] == "after"
    acme.ok("checklist", "done", TRAIN, step, "--env", "prod", "--by", "Raj Iyer")
    assert _steps(acme)[step]["done_by"] == "Raj Iyer"
    refused = acme.cli("checklist", "done", TRAIN, step, "--env", "prod", "--by", "Someone Else")
    assert refused.exit_code == 2 and "done by Raj Iyer" in refused.output
    acme.ok("checklist", "undo", TRAIN, step, "--env", "prod", "--by", "Raj Iyer")
    assert _steps(acme)[step]["done"] is False
    acme.ok("checklist", "done", TRAIN, step, "--env", "prod", "--by", "Raj Iyer")
    record = json.loads((acme.root / "releases" / TRAIN / "checklist-prod.json").read_text())
    actions = [(h["action"], h.get("step")) for h in record["history"] if h.get("step") == step]
    assert actions == [("done", step), ("undo", step), ("done", step)]


def test_the_source_environment_checklist_is_refused(acme):
    result = acme.cli("checklist", TRAIN, "--env", "dev")
    assert result.exit_code == 2
    assert "dev is the source of R1" in result.output and "dev → qa → prod" in result.output


def test_the_changelog_of_prod_names_train_components_authors_backup_deploy_and_ticks(acme):
    text = acme.ok("changelog", "prod").output
    doc = acme.cli_json("changelog", "prod")
    promotions = [e for e in doc["events"] if e["kind"] in ("promotion", "hotfix")
                  and e["train"] == TRAIN]
    assert promotions, doc["events"]
    event = promotions[-1]
    log = json.loads((acme.root / "releases" / TRAIN / "log.json").read_text())
    entry = [e for e in log if e["env"] == "prod" and e["result"] == "deployed"][-1]
    assert event["deploy_ids"] == entry["deploy_ids"] and entry["deploy_ids"][0] in text
    assert event["backup_tag"] == entry["backup_tag"] and entry["backup_tag"] in text
    assert event["verified"] is True and "holds the train as built" in text
    authored = [c for c in event["components"] if c["by"]]
    assert authored and authored[0]["component"] in text and authored[0]["by"] in text
    assert "CustomField:Account.Customer_Since__c" in {c["component"] for c in event["components"]}
    ticked = {s["id"]: s for s in event["checklist"] if s["done"]}
    for step in acme.ticked:
        assert ticked[step]["by"] == "Ana Lima" and f"`{step}`) — done by Ana Lima" in text
    assert text.index("first snapshot") < text.index(f"release {TRAIN} deployed")


def test_log_of_prod_says_which_snapshot_the_promotion_made(acme):
    rows = acme.cli_json("log", "prod")
    made = [r["made_by"] for r in rows]
    assert f"promotion of {TRAIN}" in made
    assert any(m.startswith(f"backup before promotion of {TRAIN}") for m in made)


def test_rollback_then_repromotion_keeps_open_steps_open(acme):
    other = [s["id"] for s in acme.before_deploy
             if s["id"] not in acme.ticked and not s["id"].startswith("group-members.")]
    acme.ok("checklist", "done", TRAIN, other[0], "--env", "prod", "--by", "Ana Lima")
    open_before = {i for i, s in _steps(acme).items() if not s["done"]}
    assert open_before
    acme.ok("release", "rollback", TRAIN, "--env", "prod", "--yes")
    acme.ok("release", "promote", TRAIN, "--to", "prod", "--yes")
    after = _steps(acme)
    assert open_before <= {i for i, s in after.items() if not s["done"]}
    assert set(acme.ticked) <= {i for i, s in after.items() if s["done"]}
    kinds = [e["kind"] for e in acme.cli_json("changelog", "prod")["events"]]
    assert "rollback" in kinds and kinds.count("promotion") + kinds.count("hotfix") == 2


def test_the_report_shows_the_train_components_and_each_envs_frozen_steps(acme):
    data = acme.cli_json("report")
    train = next(t for t in data["trains"] if t["name"] == TRAIN)
    kinds = {c["kind"] for c in train["component_list"]}
    assert "added" in kinds and any(c["by"] for c in train["component_list"])
    for env in ("qa", "prod"):
        after = [s for s in train["checklist"] if s["env"] == env and s["phase"] == "after"]
        assert after and all(s["frozen"] for s in after), env
    assert any(not s["done"] for s in train["checklist"] if s["env"] == "qa")
    assert all(s["env"] != "dev" for s in train["checklist"])
    ticked = {s["id"]: s for s in train["checklist"] if s["env"] == "prod" and s["done"]}
    assert ticked[acme.ticked[0]]["done_by"] == "Ana Lima"
    record = next(r for r in data["records"] if r["env"] == "prod")
    assert any(e["kind"] == "promotion" and TRAIN in e["title"] for e in record["entries"])
    assert any(b["env"] == "prod" for b in data["backups"])


def test_a_hand_change_in_prod_is_in_the_changelog_as_drift_with_who_and_when(acme):
    acme.orgs["prod"].change(as_user="Priya Patel",
                             set_field=("CustomField:Account.Region__c", "length=99"))
    acme.ok("pull", "prod")
    events = acme.cli_json("changelog", "prod")["events"]
    drift = [e for e in events if e["kind"] == "drift"]
    seen = [c for e in drift for c in e["components"]
            if c["component"] == "CustomField:Account.Region__c"]
    assert seen and seen[0]["by"] == "Priya Patel" and seen[0]["date"]
    # what a promotion or rollback deployed is never listed as drift
    deployed = {e["commit"] for e in events if e["kind"] in ("promotion", "hotfix", "rollback")}
    train = {c["component"] for e in events if e["kind"] == "promotion" for c in e["components"]}
    for e in drift:
        if e["commit"] in deployed:
            assert not {c["component"] for c in e["components"]} & train, e
    assert "Priya Patel" in acme.ok("changelog", "prod").output
