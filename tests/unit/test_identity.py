"""One identity for every recorded act: --by, else $SFENV_USER, else git's user.name."""

from __future__ import annotations

import subprocess

from sfenv.identity import acting_user


def test_by_wins_then_sfenv_user_then_git(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "config", "user.name", "Git Person"], check=True)
    monkeypatch.setenv("SFENV_USER", "Configured Person")
    assert acting_user(tmp_path, "  Ana Lima ") == "Ana Lima"
    assert acting_user(tmp_path) == "Configured Person"
    monkeypatch.delenv("SFENV_USER")
    assert acting_user(tmp_path) == "Git Person"
