"""A rollback made before a train's build is the release process, not the target's change
(issue 22, the soak's failure G before the build): after a refresh took the hop's base away,
the next train from the refreshed sandbox met the rolled-back content as the target's own
change, refused it ("changed in qa by Org Admin", the rollback's deploy user), and
`--overwrite-all` recorded it as an overwritten change of qa's."""

from __future__ import annotations

import json
import time

import pytest

from tests.reliability.promote_kit import META, two_orgs

C1 = b"public class C1 {\n}\n"


@pytest.fixture
def path2(tmp_path):
    yield from two_orgs(tmp_path)


def add_class(p, env: str) -> None:
    """Create ApexClass:C1 in `env` by hand and pull it."""
    org = p.orgs[env].server.org
    with org.lock:
        (org.metadata_dir / "classes" / "C1.cls").write_bytes(C1)
        (org.metadata_dir / "classes" / "C1.cls-meta.xml").write_bytes(META)
        org.touch_components(["ApexClass:C1"], org.user_by_name("Hand User"))
        org.save()
    p.ok("pull", env, "--quiet")


def refresh(p, env: str) -> None:
    """`env` is refreshed (a new org id, same content) and pulled with --new-org. Returns in
    the second after the refresh's snapshot: status finds "the other end as of the refresh"
    by whole-second commit dates, so a rollback in the same second as the refresh counts as
    before it (a known gap, docs/NOTES.md #22); these tests are about the rollback, not it."""
    org = p.orgs[env].server.org
    with org.lock:
        org._data.org_id = org.new_id("00D")
        org.save()
    p.ok("pull", env, "--new-org", "--quiet")
    time.sleep(1.02 - time.time() % 1.0)


def rolled_back_before_the_build(p) -> str:
    """R1 (C0 changed, C1 added) promoted dev → qa; dev refreshed; R1 rolled back in qa (C0
    back to v0, C1 deleted); R2 built from dev: it carries R1's changes again. Returns R2."""
    add_class(p, "dev")
    r1, _ = p.new_train()
    p.ok("release", "promote", r1, "--to", "qa")
    refresh(p, "dev")
    p.ok("release", "rollback", r1, "--env", "qa", "--yes")
    assert p.value_in_org("qa") == "v0"
    p.ok("release", "build", "R2")
    p.trains.append("R2")
    return "R2"


def test_a_train_after_a_rollback_is_not_refused_for_what_the_rollback_restored(path2):
    train = rolled_back_before_the_build(path2)
    hop = json.loads(path2.ok("status", "--json").stdout)["hops"][0]
    # both differences are R1's, rolled back: pending, never drift of the deploy user's
    assert {e["component"]: e["status"] for e in hop["entries"]} == {
        "ApexClass:C0": "pending", "ApexClass:C1": "pending"}, hop["entries"]
    assert all("rollback of release R1" in e["reason"] for e in hop["entries"]), hop["entries"]
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 0, result.output
    entry = path2.log(train)[-1]
    assert entry["result"] == "deployed" and entry["overwrites"] == [], entry
    assert path2.value_in_org("qa") == "v1"


def test_overwrite_all_after_a_rollback_records_no_change_of_the_target(path2):
    train = rolled_back_before_the_build(path2)
    path2.ok("release", "promote", train, "--to", "qa", "--overwrite-all")
    assert path2.log(train)[-1]["overwrites"] == []


def test_a_hand_change_the_rollback_restored_is_still_the_targets(path2):
    """The other side of the rule: qa's own hotfix, overwritten by name by R1 and brought
    back by R1's rollback, is qa's change again: the next train is refused for it, naming its
    author, not the deploy user."""
    r1, _ = path2.new_train()
    org = path2.orgs["qa"].server.org
    with org.lock:
        (org.metadata_dir / "classes" / "C0.cls").write_bytes(b"public class C0 { // hotfix\n}\n")
        org.touch_components(["ApexClass:C0"], org.user_by_name("Hand User"))
        org.save()
    path2.ok("pull", "qa", "--quiet")
    path2.ok("release", "promote", r1, "--to", "qa", "--overwrite", "ApexClass:C0")
    refresh(path2, "dev")
    path2.ok("release", "rollback", r1, "--env", "qa", "--yes")
    assert path2.value_in_org("qa") == "hotfix"
    path2.ok("release", "build", "R2")
    path2.trains.append("R2")
    result = path2.cli("release", "promote", "R2", "--to", "qa")
    assert result.exit_code == 1, result.output
    conflicts = path2.log("R2")[-1]["conflicts"]
    assert [c["component"] for c in conflicts] == ["ApexClass:C0"], conflicts
    assert "Hand User" in json.dumps(conflicts) and "Org Admin" not in json.dumps(conflicts)
