"""The guard orders a sync point and a train's build by their dates, to the second
(`guard.since_promotion`): a sync point recorded in the same second as the build counts as
after it. Question (b) of issue 22's notes: can a tie make the guard wrong? Yes: a difference
a human accepted with `sfenv sync-point` just *before* the build is a plan-time conflict the
build stores (it refuses at promote unless named), but in the same second the sync point is
read as a re-judgement after the build, and the promotion overwrites qa's hotfix unnamed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfenv.services.records import sync_points
from sfenv.services.train import train as train_mod
from tests.reliability.promote_kit import META, body, two_orgs


@pytest.fixture
def path2(tmp_path):
    yield from two_orgs(tmp_path)


class _Clock:
    """`datetime` for sync_points with a fixed now."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self, tz=None):
        return self.moment


def touch_c2(p, env: str, *, create: bool = False) -> None:
    """Save ApexClass:C2 in `env` by hand (the same text everywhere: no difference, a new
    date) and pull `env`: a new snapshot of `env` that changes nothing a train carries."""
    org = p.orgs[env].server.org
    with org.lock:
        if create:
            (org.metadata_dir / "classes" / "C2.cls").write_bytes(b"public class C2 {\n}\n")
            (org.metadata_dir / "classes" / "C2.cls-meta.xml").write_bytes(META)
        org.touch_components(["ApexClass:C2"], org.user_by_name("Hand User"))
        org.save()
    p.ok("pull", env, "--quiet")


def accepted_then_built(p, monkeypatch, gap: timedelta) -> str:
    """R1 in qa, a hotfix of C0 in qa, `sfenv sync-point dev qa` (accepting it), a pull of qa
    that brings an unrelated save, then R2 built `gap` after that sync point (R2 carries C0:
    dev's R1 value over qa's hotfix)."""
    for env in ("dev", "qa"):
        touch_c2(p, env, create=True)
    r1, _ = p.new_train()
    p.ok("release", "promote", r1, "--to", "qa")
    org = p.orgs["qa"].server.org
    with org.lock:
        (org.metadata_dir / "classes" / "C0.cls").write_bytes(body("hotfix"))
        org.touch_components(["ApexClass:C0"], org.user_by_name("Hand User"))
        org.save()
    p.ok("pull", "qa", "--quiet")
    moment = datetime.now(UTC).replace(microsecond=0)
    with monkeypatch.context() as m:
        m.setattr(sync_points, "datetime", _Clock(moment))
        m.setattr(train_mod, "now_iso", lambda: (moment + gap).strftime("%Y-%m-%dT%H:%M:%SZ"))
        p.ok("sync-point", "dev", "qa", "--reason", "qa's hotfix, known")
        touch_c2(p, "qa")  # qa's snapshot moves on between the sync point and the build
        p.ok("release", "build", "R2")
    p.trains.append("R2")
    return "R2"


@pytest.mark.parametrize("gap", [timedelta(seconds=1), timedelta(0)], ids=["next second",
                                                                           "same second"])
def test_an_accepted_hotfix_known_at_the_build_refuses_the_promotion(path2, monkeypatch, gap):
    train = accepted_then_built(path2, monkeypatch, gap)
    result = path2.cli("release", "promote", train, "--to", "qa")
    assert result.exit_code == 1, result.output
    assert path2.value_in_org("qa") == "hotfix"
    assert [c["component"] for c in path2.log(train)[-1]["conflicts"]] == ["ApexClass:C0"]
