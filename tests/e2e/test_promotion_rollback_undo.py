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
