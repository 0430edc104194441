"""A rollback is part of the release process (issue 22 item 6): after it, the hop's base
follows it and the restored content keeps its original author. The reproduction: qa's Hand
User hotfixes C0; a train from dev deploys over it (--overwrite); the train is rolled back, so
qa holds the hotfix again, now last modified by the deploy user. The next status and guard
must name Hand User for the hotfix, not the user who ran the rollback deploy."""

from __future__ import annotations

import json

import pytest

from tests.reliability.promote_kit import Path2, body, two_orgs


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from two_orgs(tmp_path_factory.mktemp("rollbackdrift"))


def hand_change(p: Path2, env: str, value: str) -> None:
    org = p.orgs[env].server.org
    with org.lock:
        (org.metadata_dir / "classes" / "C0.cls").write_bytes(body(value))
        org.touch_components(["ApexClass:C0"], org.user_by_name("Hand User"))
        org.save()


def c0_entry(p: Path2) -> dict:
    hops = json.loads(p.ok("status", "--json").output)["hops"]
    [hop] = [h for h in hops if (h["source"], h["target"]) == ("dev", "qa")]
    found = [e for e in hop["entries"] if e["component"] == "ApexClass:C0"]
    assert found, hop
    return found[0]


def test_after_a_rollback_the_restored_hotfix_keeps_its_author_in_status_and_guard(path2):
    train, _value = path2.new_train()
    hand_change(path2, "qa", "hotfix")
    path2.ok("pull", "qa", "--quiet")
    before = c0_entry(path2)
    assert "Hand User" in before["reason"], before
    path2.ok("release", "promote", train, "--to", "qa", "--overwrite", "ApexClass:C0")
    path2.ok("release", "rollback", train, "--env", "qa", "--yes")
    assert path2.value_in_org("qa") == "hotfix"
    path2.ok("pull", "qa", "--quiet")

    after = c0_entry(path2)
    assert after["status"] == before["status"], (before, after)
    assert "Hand User" in after["reason"], after["reason"]

    again = path2.cli("release", "promote", train, "--to", "qa")
    assert again.exit_code == 1, again.output  # the hotfix is still the target's own change
    assert "ApexClass:C0: changed in the target by Hand User" in again.output, again.output
