"""The sfenv process killed (SIGKILL, no cleanup) at each step of a promotion, two promotions
of one train at once, and pulls that meet a promotion or a build (issue 13).

After a kill, the same `release promote` resumes (a deploy accepted is followed by its id) or
starts over (nothing was accepted), the stale locks are taken over, qa ran exactly one deploy
of the train, and the record is complete: that deploy has its log entry."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sfenv.services.train.train import load_train
from tests.reliability.kit import error_line
from tests.reliability.promote_kit import Path2, finished_deployed, snap, two_orgs

SFENV = str(Path(sys.executable).parent / "sfenv")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    if not Path(SFENV).exists():
        pytest.skip("the sfenv console script is not installed in this environment")
    yield from two_orgs(tmp_path_factory.mktemp("relkill"))


def wait_for(predicate: Callable[[], bool], proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, "the promotion ended before the step was reached"
        assert time.monotonic() < deadline, "timed out waiting for the step"
        time.sleep(0.005)


def spawn(p: Path2, *args: str) -> subprocess.Popen:
    return subprocess.Popen([SFENV, *args, "--config", str(p.config)], cwd=p.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def qa_entry(p: Path2, train: str) -> dict:
    entries = [e for e in p.log(train) if e["env"] == "qa"]
    return entries[-1] if entries else {}


def steps(p: Path2, train: str, value: str, tags: dict) -> dict[str, Callable[[], bool]]:
    qa_head = p.store.head("qa")
    return {
        "after-backup": lambda: p.store.tags("backup/qa/") != tags,
        "after-validation": lambda: bool(qa_entry(p, train).get("validation_id")),
        "after-deploy-accepted": lambda: bool(qa_entry(p, train).get("deploy_ids")),
        "after-deploy-applied": lambda: p.value_in_org("qa") == value,
        "before-the-log": lambda: p.store.head("qa") not in (
            qa_head, qa_entry(p, train).get("backup_commit")) and qa_entry(p, train).get(
                "result") == "in_progress",
    }


@pytest.mark.parametrize("step", ["after-backup", "after-validation", "after-deploy-accepted",
                                  "after-deploy-applied", "before-the-log"])
def test_sfenv_killed_during_a_promotion_then_promote_again_completes_the_record(path2, step):
    train, value = path2.new_train()
    before = snap(path2)
    path2.orgs["qa"].faults.configure(latency_ms=25)
    reached = steps(path2, train, value, before.tags)[step]
    proc = spawn(path2, "release", "promote", train, "--to", "qa")
    try:
        wait_for(reached, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the promotion ended before it was killed"
    path2.reset_faults()
    again = path2.cli("release", "promote", train, "--to", "qa")
    assert again.exit_code == 0, again.output
    entry = finished_deployed(path2, train, value)
    assert len(path2.deploys("qa")) == before.deploys + 1, "the package was deployed twice"
    if step in ("after-deploy-accepted", "after-deploy-applied", "before-the-log"):
        assert "resuming the promotion" in again.output
        assert entry["deploy_ids"][-1][:15] == path2.deploys("qa")[-1]["id"][:15]


def test_two_promotions_of_one_train_at_once_one_deploys_the_other_is_refused(path2):
    train, value = path2.new_train()
    before = snap(path2)
    path2.orgs["qa"].faults.configure(latency_ms=15)
    first = spawn(path2, "release", "promote", train, "--to", "qa")
    lock = path2.store.git_dir / "sfenv-locks" / "qa.promoting.lock"
    try:
        wait_for(lock.exists, first)
        second = path2.cli("release", "promote", train, "--to", "qa")
    finally:
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert second.exit_code == 2, second.output
    assert "is locked by pid" in error_line(second)
    finished_deployed(path2, train, value)
    assert len(path2.deploys("qa")) == before.deploys + 1
    assert len([e for e in path2.log(train) if e["env"] == "qa"]) == 1


def test_a_pull_during_a_promotion_is_refused_and_the_promotion_is_verified(path2):
    """The verification pull runs under the promotion's own lock: a scheduled pull at that
    moment is refused at once instead of making the promotion `unverified`."""
    train, value = path2.new_train()
    path2.orgs["qa"].faults.configure(latency_ms=15)
    proc = spawn(path2, "release", "promote", train, "--to", "qa")
    try:
        wait_for(lambda: bool(qa_entry(path2, train).get("deploy_ids")), proc)
        pulled = path2.cli("pull", "qa", "--quiet")
    finally:
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    assert pulled.exit_code == 2, pulled.output
    assert "sfenv release promote" in error_line(pulled)
    finished_deployed(path2, train, value)


def test_a_pull_during_a_build_leaves_both_complete(path2):
    train, value = path2.change_dev()
    heads = {path2.store.head("dev")}
    build = spawn(path2, "release", "build", train)
    pulled = path2.cli("pull", "dev", "--full", "--quiet")
    out, err = build.communicate(timeout=300)
    assert build.returncode == 0, out + err
    assert pulled.exit_code in (0, 2), pulled.output
    heads.add(path2.store.head("dev"))
    path2.trains.append(train)
    assert load_train(path2.store, train).source_commit in heads
    path2.ok("release", "promote", train, "--to", "qa")
    finished_deployed(path2, train, value)
