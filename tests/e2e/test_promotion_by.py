"""#26: who promoted and who rolled back follow the one identity rule (`--by`, else
$SFENV_USER, else git's user.name, else the login), not git's user.name alone."""

from __future__ import annotations

import pytest

from tests.reliability.promote_kit import two_orgs


@pytest.fixture
def path2(tmp_path):
    yield from two_orgs(tmp_path)


def test_promote_by_and_rollback_as_sfenv_user_are_recorded(path2, monkeypatch):
    train, _value = path2.new_train()
    promoted = path2.ok("release", "promote", train, "--to", "qa", "--by", "Ana Lima")
    assert "by Ana Lima" in promoted.output
    monkeypatch.setenv("SFENV_USER", "ci-bot")
    path2.ok("release", "rollback", train, "--env", "qa", "--yes")
    log = [(e["action"], e["user"]) for e in path2.log(train)]
    assert log == [("promote", "Ana Lima"), ("rollback", "ci-bot")], log
