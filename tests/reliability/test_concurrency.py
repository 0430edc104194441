"""Concurrency and locks: two pulls of one environment, pulls of different environments,
stale locks of dead processes, and a holder running a nested pull under its own lock."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sfenv.errors import StoreError
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.pull import pull_env
from tests.projects import local_project
from tests.reliability.kit import complete, error_line, metadata_files, untouched


def lock_path(root: Path, env: str) -> Path:
    return SnapshotStore(root).git_dir / "sfenv-locks" / f"{env}.lock"


def slow_pull_in_background(project, env: str = "dev", latency_ms: int = 40):
    """Start a full pull slowed down by the org; returns (thread, outcome dict) once it holds
    the lock."""
    project.orgs[env].faults.configure(latency_ms=latency_ms)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = pull_env(project.config(), env, full=True)
        except Exception as err:  # noqa: BLE001 - reported by the test
            outcome["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not lock_path(project.root, env).exists():
        assert time.monotonic() < deadline, "the first pull never took the lock"
        assert thread.is_alive() or outcome, "the first pull ended before taking the lock"
        time.sleep(0.01)
    return thread, outcome


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_pull_of_one_env_fails_at_once_naming_the_owner(clean_dev):
    project, _ = clean_dev
    thread, outcome = slow_pull_in_background(project)
    try:
        second = project.cli("pull", "dev", "--quiet")
    finally:
        thread.join(120)
    assert "error" not in outcome, outcome.get("error")
    assert second.exit_code == 2, second.output
    line = error_line(second)
    assert "is locked by pid" in line and "(sfenv pull dev)" in line
    assert SnapshotStore(project.root).head("dev") == outcome["result"].commit
    assert not lock_path(project.root, "dev").exists()


def test_a_second_pull_waits_boundedly_then_runs(clean_dev):
    project, baseline = clean_dev
    thread, outcome = slow_pull_in_background(project)
    second: dict = {}
    try:
        second["result"] = pull_env(project.config(), "dev", lock_wait=120)
    finally:
        thread.join(120)
    assert "error" not in outcome
    store = SnapshotStore(project.root)
    assert store.head("dev") == second["result"].commit
    assert metadata_files(store, store.head("dev")) == metadata_files(store, baseline)


def test_a_second_pull_with_a_short_wait_gives_up_in_time(clean_dev):
    project, _ = clean_dev
    thread, outcome = slow_pull_in_background(project, latency_ms=80)
    started = time.monotonic()
    try:
        with pytest.raises(StoreError, match="is locked by pid"):
            pull_env(project.config(), "dev", lock_wait=0.3)
        waited = time.monotonic() - started
    finally:
        thread.join(120)
    assert 0.3 <= waited < 5
    assert "error" not in outcome


@pytest.fixture(scope="module")
def two_envs(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp, local_project(
            tmp_path_factory.mktemp("two"), {"sit": "acme-dev", "qa": "acme-qa"}, mp,
            production=None, seed_types=False) as project:
        yield project


def test_pulls_of_different_envs_run_together(two_envs):
    project = two_envs
    for org in project.orgs.values():
        org.faults.configure(latency_ms=20)
    results: dict = {}

    def run(env: str) -> None:
        try:
            results[env] = pull_env(project.config(), env, full=True)
        except Exception as err:  # noqa: BLE001
            results[env] = err

    threads = [threading.Thread(target=run, args=(env,)) for env in ("sit", "qa")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for org in project.orgs.values():
        org.faults.reset()
    store = SnapshotStore(project.root)
    for env in ("sit", "qa"):
        assert not isinstance(results[env], Exception), results[env]
        assert store.head(env) == results[env].commit
        assert store.meta(results[env].commit)["org_id"] == project.orgs[env].org_id


def test_a_stale_lock_of_a_dead_process_is_taken_over(clean_dev):
    project, baseline = clean_dev
    path = lock_path(project.root, "dev")
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname(),
                                "command": "sfenv release promote R1 --to dev",
                                "since": "2026-01-01T00:00:00+00:00", "token": "old"}))
    complete(project.root, "dev", baseline, project.cli("pull", "dev", "--full", "--quiet"))
    assert not path.exists()


def test_a_live_lock_of_another_host_is_never_taken_over(clean_dev):
    project, _ = clean_dev
    before = SnapshotStore(project.root).head("dev")
    path = lock_path(project.root, "dev")
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"pid": 1, "host": "ci-runner-7", "command": "sfenv pull dev",
                                "since": "2026-01-01T00:00:00+00:00", "token": "theirs"}))
    try:
        line = untouched(project.root, "dev", before, project.cli("pull", "dev", "--quiet"), 2)
    finally:
        path.unlink()
    assert "ci-runner-7" in line and "(sfenv pull dev)" in line


def test_a_holder_runs_a_nested_pull_under_its_own_lock(clean_dev):
    project, baseline = clean_dev
    store = SnapshotStore(project.root)
    with store.lock("dev", command="sfenv release promote R1 --to dev") as held:
        with pytest.raises(StoreError, match="is locked by pid"):
            pull_env(project.config(), "dev", store=store)
        result = pull_env(project.config(), "dev", store=store, full=True, lock=held)
        assert held.still_held()
        assert json.loads(lock_path(project.root, "dev").read_text())["command"] \
            == "sfenv release promote R1 --to dev"
    assert not lock_path(project.root, "dev").exists()
    assert store.head("dev") == result.commit


def test_a_lock_held_for_another_env_is_refused(clean_dev):
    project, _ = clean_dev
    store = SnapshotStore(project.root)
    with store.lock("qa") as held, pytest.raises(StoreError, match="not held for dev"):
        pull_env(project.config(), "dev", store=store, lock=held)


def test_a_holder_takes_a_backup_under_its_own_lock(clean_dev):
    from sfenv.services.pull import backup_env

    project, baseline = clean_dev
    store = SnapshotStore(project.root)
    with store.lock("dev", command="sfenv release promote R1 --to dev") as held:
        backup = backup_env(project.config(), "dev", store=store, lock=held, tag="backup/dev/held")
        assert held.still_held()
    assert store.tags("backup/dev/held") == {"backup/dev/held": backup.pull.commit}
    assert metadata_files(store, backup.pull.commit) == metadata_files(store, baseline)
