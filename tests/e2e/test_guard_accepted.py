"""Issue 22, the lead's decision (wave 3g): a difference a human accepted with `sfenv
sync-point` is acknowledged, never given away. A train that would overwrite it is refused
unless it is named (`--overwrite`), whether the sync point came before or after the build;
named, the log's overwrites and the changelog name it with its author."""

from __future__ import annotations

import json

import pytest

from tests.reliability.promote_kit import META, two_orgs


@pytest.fixture
def path2(tmp_path):
    yield from two_orgs(tmp_path)


def hotfix_qa(p, value: str = "hotfix") -> None:
    """qa's Hand User changes C0 by hand; qa is pulled."""
    p.edit_c0("qa", value)
    p.ok("pull", "qa", "--quiet")


def unrelated_save_in_qa(p) -> None:
    """qa gets a class of its own (nothing a train carries) and is pulled: its snapshot
    moves on after the build, so the sync point's snapshot is not the build's."""
    org = p.orgs["qa"].server.org
    with org.lock:
        (org.metadata_dir / "classes" / "C2.cls").write_bytes(b"public class C2 {\n}\n")
        (org.metadata_dir / "classes" / "C2.cls-meta.xml").write_bytes(META)
        org.touch_components(["ApexClass:C2"], org.user_by_name("Hand User"))
        org.save()
    p.ok("pull", "qa", "--quiet")


@pytest.mark.parametrize("hotfix_before_build", [False, True],
                         ids=["hotfix after the build", "hotfix before the build"])
def test_a_hotfix_accepted_after_the_build_refuses_the_promotion_unless_named(
        path2, hotfix_before_build):
    r1, _ = path2.new_train()
    path2.ok("release", "promote", r1, "--to", "qa")
    if hotfix_before_build:  # the plan warns of it; the acceptance comes after the build
        hotfix_qa(path2)
        r2, value = path2.new_train()
        unrelated_save_in_qa(path2)
    else:
        r2, value = path2.new_train()
        hotfix_qa(path2)
    path2.ok("sync-point", "dev", "qa", "--reason", "qa's hotfix, known")

    refused = path2.cli("release", "promote", r2, "--to", "qa")
    assert refused.exit_code == 1, refused.output
    assert "ApexClass:C0" in refused.output and "Hand User" in refused.output
    assert "accepted by" in refused.output, refused.output
    assert path2.value_in_org("qa") == "hotfix"
    assert [c["component"] for c in path2.log(r2)[-1]["conflicts"]] == ["ApexClass:C0"]

    path2.ok("release", "promote", r2, "--to", "qa", "--overwrite", "ApexClass:C0")
    assert path2.value_in_org("qa") == value
    overwrites = path2.log(r2)[-1]["overwrites"]
    assert [(c["component"], c["changed_by"]) for c in overwrites] == [("ApexClass:C0",
                                                                        "Hand User")]
    assert "accepted by" in overwrites[0]["reason"], overwrites
    text = path2.ok("changelog", "qa").output
    assert "Overwrote changes made in the target: ApexClass:C0 (changed in the target by " \
           "Hand User" in text
    doc = json.loads(path2.ok("changelog", "qa", "--json").output)
    assert any(o.startswith("ApexClass:C0") for e in doc["events"] for o in e["overwrites"]
               if e.get("title", "").startswith(f"release {r2} deployed"))
