"""Issue 22, the verification window (guard-5.md request 6): a hand change of a carried
component made between the deploy and the verification's pull. Promote exits 4 and names
it; the hop's sync point must keep it the target's own, judged by the previous base (dev's
change, the train's, never held in qa; qa's own by hand: a conflict), so that a
re-promotion is refused for it instead of overwriting it unnamed (it was recorded as the
train's: pending)."""

from __future__ import annotations

import json

import pytest

from tests.reliability.promote_kit import after_first_deploy, two_orgs


@pytest.fixture
def path2(tmp_path):
    yield from two_orgs(tmp_path)


def hand_change_after_the_deploy(p, monkeypatch) -> None:
    """qa's Hand User edits C0 as soon as the first real deploy into qa has finished."""
    after_first_deploy(monkeypatch, lambda: p.edit_c0("qa", "hand"))


def test_a_hand_change_made_before_the_verification_stays_the_targets_and_refuses(
        path2, monkeypatch):
    r1, _ = path2.new_train()
    with monkeypatch.context() as m:
        hand_change_after_the_deploy(path2, m)
        first = path2.cli("release", "promote", r1, "--to", "qa")
    assert first.exit_code == 4, first.output
    assert "ApexClass:C0" in first.output and path2.value_in_org("qa") == "hand"

    doc = json.loads(path2.ok("status", "--json").stdout)
    hop = next(h for h in doc["hops"] if (h["source"], h["target"]) == ("dev", "qa"))
    assert [(e["component"], e["status"]) for e in hop["entries"]] == [("ApexClass:C0",
                                                                         "conflict")], hop
    assert "Hand User" in hop["entries"][0]["reason"], hop["entries"][0]["reason"]

    again = path2.cli("release", "promote", r1, "--to", "qa")
    assert again.exit_code == 1, again.output
    assert "ApexClass:C0" in again.output and "Hand User" in again.output
    assert path2.value_in_org("qa") == "hand", "the hand change was overwritten unnamed"
