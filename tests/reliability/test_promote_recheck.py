"""The re-check just before the deploy call (issue 22): the validation of a production
deploy is a long window, and a hand change made in it used to be overwritten unnamed (the
guard had compared the target as backed up). Now the promotion re-reads the carried
components' dates and refuses like the guard, naming who changed what, unless --overwrite
names it."""

from __future__ import annotations

import pytest

from sfenv.io.org.client import OrgClient
from tests.reliability.promote_kit import Path2, body, finished_deployed, snap, two_orgs


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from two_orgs(tmp_path_factory.mktemp("recheck"))


def hand_change_during_validation(p: Path2, monkeypatch, value: str) -> None:
    """qa's Hand User edits C0 while the promotion's validation runs."""
    real = OrgClient.deploy

    def deploy(self, data, *, check_only=False, **kw):
        result = real(self, data, check_only=check_only, **kw)
        if check_only:
            org = p.orgs["qa"].server.org
            with org.lock:
                (org.metadata_dir / "classes" / "C0.cls").write_bytes(body(value))
                org.touch_components(["ApexClass:C0"], org.user_by_name("Hand User"))
                org.save()
        return result

    monkeypatch.setattr(OrgClient, "deploy", deploy)


def test_a_hand_change_made_while_the_validation_runs_is_named_and_refused(path2, monkeypatch):
    train, value = path2.new_train()
    before = snap(path2)
    hand_change_during_validation(path2, monkeypatch, "hand")
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 1, result.output
    assert "ApexClass:C0: changed in the target by Hand User" in result.output
    assert "while the promotion validated" in result.output
    entry = [e for e in path2.log(train) if e["env"] == "qa"][-1]
    assert entry["result"] == "refused" and not entry["deploy_ids"], entry
    assert [c["component"] for c in entry["conflicts"]] == ["ApexClass:C0"]
    assert entry["conflicts"][0]["changed_by"] == "Hand User"
    assert path2.value_in_org("qa") == "hand", "the hand change was overwritten"
    assert len(path2.deploys("qa")) == before.deploys
    assert path2.store.tags("backup/qa/") == before.tags, "a refused promotion left a tag"


def test_overwrite_names_the_hand_change_and_the_record_says_so(path2, monkeypatch):
    train, value = path2.new_train()
    hand_change_during_validation(path2, monkeypatch, "hand2")
    result = path2.cli("release", "promote", train, "--to", "qa", "--overwrite", "ApexClass:C0")
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    entry = finished_deployed(path2, train, value)
    assert [(c["component"], c["changed_by"]) for c in entry["overwrites"]] == [
        ("ApexClass:C0", "Hand User")]


def test_nothing_changed_meanwhile_deploys_and_says_it_re_checked(path2):
    train, value = path2.new_train()
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 0, result.output
    assert "re-checked qa before the deploy: nothing the train carries changed" in result.output
    finished_deployed(path2, train, value)
