"""The sfenv process killed (SIGKILL) at every boundary of a promotion (quick deploy and full
deploy) and of a rollback, including the window where the org has accepted a deploy whose
answer was lost and whose id is not in the log yet (issue 23). The rerun finishes, and the
deploys the org accepted match the ids in the log: none twice, none unrecorded."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.reliability.promote_kit import Path2, two_orgs
from tests.reliability.test_promote_exactly_once import accepted, exactly_once
from tests.reliability.test_promote_kills import wait_for

SFENV = str(Path(sys.executable).parent / "sfenv")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    if not Path(SFENV).exists():
        pytest.skip("the sfenv console script is not installed in this environment")
    yield from two_orgs(tmp_path_factory.mktemp("killanywhere"))


def last_entry(p: Path2, train: str, action: str) -> dict:
    entries = [e for e in p.log(train) if e["env"] == "qa" and e["action"] == action]
    return entries[-1] if entries else {}


def intent_without_id(p: Path2, train: str, action: str) -> bool:
    intents = last_entry(p, train, action).get("deploy_intents") or []
    return bool(intents) and not intents[-1].get("id") and not intents[-1].get("refused")


def answer_lost(p: Path2, kind: str) -> bool:
    return p.orgs["qa"].faults.counters.get(f"reply_lost.{kind}", 0) >= 1


def verification_pull_started(p: Path2) -> bool:
    """qa ran a retrieve after its last deploy completed (the rollback's verification pull;
    its guard's pull came before the deploy)."""
    from sfenv.localorg.mdapi.jobs import jobs_of

    jobs = jobs_of(p.orgs["qa"].server.org)
    with jobs._lock:
        listed = list(jobs._jobs.values())
    done = [j.completed_date for j in listed if j.kind == "deploy" and j.completed_date
            and not j.request[1].check_only]
    last = max(done, default=None)
    return last is not None and any(j.kind == "retrieve" and j.created_date >= last
                                    for j in listed)


@contextmanager
def production_qa(p: Path2) -> Iterator[None]:
    """qa as a production org: a validation of a class without tests cannot be quick
    deployed there, so the promotion takes the full-deploy path."""
    text = p.config.read_text()
    org = p.orgs["qa"].server.org
    p.config.write_text(text.replace("  qa:\n", "  qa:\n    production: true\n", 1))
    org.is_sandbox = False
    try:
        yield
    finally:
        org.is_sandbox = True
        p.config.write_text(text)


def kill_at(p: Path2, args: list[str], reached: Callable[[], bool]) -> None:
    proc = subprocess.Popen([SFENV, *args, "--config", str(p.config)], cwd=p.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(reached, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the command ended before it was killed"


def no_entry_in_progress(p: Path2) -> None:
    for train in p.trains:
        for entry in p.log(train):
            assert entry["result"] != "in_progress", (train, entry)


PROMOTE_WINDOWS = ["after-backup", "intent-logged", "accepted-answer-lost", "id-logged",
                   "deploy-applied", "before-the-log"]


def promote_window(p: Path2, train: str, value: str, window: str,
                   kind: str) -> Callable[[], bool]:
    tags, head = p.store.tags("backup/qa/"), p.store.head("qa")
    return {
        "after-backup": lambda: p.store.tags("backup/qa/") != tags,
        "intent-logged": lambda: intent_without_id(p, train, "promote"),
        "accepted-answer-lost": lambda: answer_lost(p, kind),
        "id-logged": lambda: bool(last_entry(p, train, "promote").get("deploy_ids")),
        "deploy-applied": lambda: p.value_in_org("qa") == value,
        "before-the-log": lambda: p.store.head("qa") not in (
            head, last_entry(p, train, "promote").get("backup_commit"))
        and last_entry(p, train, "promote").get("result") == "in_progress",
    }[window]


def promote_killed_then_again(p: Path2, window: str, kind: str, *extra: str) -> None:
    train, value = p.new_train()
    before = accepted(p)
    faults = p.orgs["qa"].faults
    faults.configure(latency_ms=25)
    if window == "accepted-answer-lost":
        faults.configure(lose_reply="close", lose_reply_of=(kind,))
    kill_at(p, ["release", "promote", train, "--to", "qa", *extra],
            promote_window(p, train, value, window, kind))
    p.reset_faults()
    again = p.cli("release", "promote", train, "--to", "qa", *extra)
    assert again.exit_code == 0, again.output
    new = exactly_once(p, before)
    assert len(new) == 1, f"{len(new)} deploys of {train} accepted by qa: {new}"
    entry = last_entry(p, train, "promote")
    assert entry["result"] == "deployed" and entry["verification"]["ok"], entry
    assert entry["deploy_ids"] == new and p.value_in_org("qa") == value
    no_entry_in_progress(p)


@pytest.mark.parametrize("window", PROMOTE_WINDOWS)
def test_killed_in_a_quick_deploy_promotion_then_again_deploys_once(path2, window):
    promote_killed_then_again(path2, window, "quick_deploy")


@pytest.mark.parametrize("window", ["intent-logged", "accepted-answer-lost", "id-logged",
                                    "deploy-applied"])
def test_killed_in_a_full_deploy_promotion_then_again_deploys_once(path2, window):
    with production_qa(path2):
        promote_killed_then_again(path2, window, "deploy", "--yes")
        kinds = [i["kind"] for i in last_entry(path2, path2.trains[-1], "promote")
                 ["deploy_intents"]]
        assert kinds[-1] == "full", kinds


ROLLBACK_WINDOWS = ["intent-logged", "accepted-answer-lost", "id-logged", "deploy-applied",
                    "before-the-log"]


@pytest.mark.parametrize("window", ROLLBACK_WINDOWS)
def test_killed_in_a_rollback_then_again_rolls_back_once(path2, window):
    train, value = path2.new_train()
    old = path2.value_in_org("qa")
    path2.ok("release", "promote", train, "--to", "qa")
    before = accepted(path2)
    faults = path2.orgs["qa"].faults
    faults.configure(latency_ms=25)
    if window == "accepted-answer-lost":
        faults.configure(lose_reply="close", lose_reply_of=("deploy",))
    reached = {
        "intent-logged": lambda: intent_without_id(path2, train, "rollback"),
        "accepted-answer-lost": lambda: answer_lost(path2, "deploy"),
        "id-logged": lambda: bool(last_entry(path2, train, "rollback").get("deploy_ids")),
        "deploy-applied": lambda: path2.value_in_org("qa") == old,
        "before-the-log": lambda: verification_pull_started(path2)
        and last_entry(path2, train, "rollback").get("result") == "in_progress",
    }[window]
    kill_at(path2, ["release", "rollback", train, "--env", "qa", "--yes"], reached)
    path2.reset_faults()
    again = path2.cli("release", "rollback", train, "--env", "qa", "--yes")
    assert again.exit_code == 0, again.output
    new = exactly_once(path2, before)
    assert len(new) == 1, f"{len(new)} rollback deploys accepted by qa: {new}"
    entry = last_entry(path2, train, "rollback")
    assert entry["result"] == "rolled_back" and entry["verification"]["ok"], entry
    assert entry["deploy_ids"] == new and path2.value_in_org("qa") == old
    no_entry_in_progress(path2)
    del value
