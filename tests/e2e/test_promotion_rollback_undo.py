"""A rollback adds the checklist steps that undo the promotion's manual changes (issue 11),
next to the promotion's own steps, which it keeps with their ticks."""

from __future__ import annotations

import json

import pytest

from tests.reliability.promote_kit import add_role, two_orgs


@pytest.fixture
def path2(tmp_path):
    yield from two_orgs(tmp_path)


def test_a_rollback_adds_the_steps_that_undo_manual_changes_and_keeps_the_ticks(path2):
    add_role(path2, "dev", "Regional_Manager")
    path2.ok("release", "build", "R1")
    path2.trains.append("R1")
    path2.ok("release", "promote", "R1", "--to", "qa")
    forward = "role-new.Regional_Manager"
    path2.ok("checklist", "done", "R1", forward, "--env", "qa", "--by", "Ana Lima")

    rolled = path2.ok("release", "rollback", "R1", "--env", "qa", "--yes")
    assert "to undo manual changes: undo.role-deleted.Regional_Manager" in rolled.output

    doc = json.loads(path2.ok("checklist", "R1", "--env", "qa", "--json").stdout)
    steps = {s["id"]: s for s in doc["steps"]}
    assert forward in steps and steps[forward].get("done"), "the promotion's step lost its tick"
    undo = steps["undo.role-deleted.Regional_Manager"]
    assert undo["title"].startswith("Rollback: Reassign users") and not undo.get("done")
    assert undo["phase"] == "before"
    # ticking the undo step works like any other
    path2.ok("checklist", "done", "R1", "undo.role-deleted.Regional_Manager", "--env", "qa",
             "--by", "Ana Lima")


def test_a_re_promotion_closes_the_rollbacks_undo_steps_and_the_counts_agree(path2):
    """#26: once the train is promoted again, the steps undoing its manual changes are moot:
    closed as done, "superseded by the re-promotion of DATE"; the checklist's open steps and
    the promotion's record name the same ones."""
    add_role(path2, "dev", "Regional_Manager")
    path2.ok("release", "build", "R1")
    path2.trains.append("R1")
    path2.ok("release", "promote", "R1", "--to", "qa")
    path2.ok("release", "rollback", "R1", "--env", "qa", "--yes")
    undo = "undo.role-deleted.Regional_Manager"
    before = json.loads(path2.ok("checklist", "R1", "--env", "qa", "--json").stdout)
    assert not {s["id"]: s for s in before["steps"]}[undo].get("done")

    path2.ok("release", "promote", "R1", "--to", "qa")
    doc = json.loads(path2.ok("checklist", "R1", "--env", "qa", "--json").stdout)
    steps = {s["id"]: s for s in doc["steps"]}
    assert steps[undo].get("done"), steps[undo]
    assert "superseded by the re-promotion of" in json.dumps(doc), doc
    entry = [e for e in path2.log("R1") if e["action"] == "promote"][-1]
    open_before = {s["id"] for s in doc["steps"] if not s.get("done") and s["phase"] == "before"}
    assert open_before == set(entry["checklist_open"]), (open_before, entry["checklist_open"])
