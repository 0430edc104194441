"""Killed mid-pull: the sfenv process (SIGKILL, no cleanup) and the org's server. Either way
the environment's ref is where it was, and the next pull succeeds (a lock left behind by a
dead process is taken over)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.server import LocalOrgServer
from sfenv.services.pull import pull_env
from tests.projects import local_project
from tests.reliability.kit import complete, metadata_files

SFENV = str(Path(sys.executable).parent / "sfenv")


def lock_file(root: Path) -> Path:
    return SnapshotStore(root).git_dir / "sfenv-locks" / "dev.lock"


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


@pytest.mark.parametrize("after_lock_s", [0.0, 0.6, 1.5], ids=["login", "listing", "retrieve"])
def test_sfenv_killed_mid_pull_leaves_the_ref_and_a_rerun_succeeds(clean_dev, after_lock_s):
    project, baseline = clean_dev
    if not Path(SFENV).exists():
        pytest.skip("the sfenv console script is not installed in this environment")
    before = SnapshotStore(project.root).head("dev")
    project.orgs["dev"].faults.configure(latency_ms=60)
    proc = subprocess.Popen([SFENV, "pull", "dev", "--full", "--quiet"], cwd=project.root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = lock_file(project.root)  # once: a store opened per poll costs the pull CPU
        wait_for(lambda: lock.exists() or proc.poll() is not None)
        time.sleep(after_lock_s)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "the pull ended before it was killed"
    assert SnapshotStore(project.root).head("dev") == before
    project.orgs["dev"].faults.reset()
    complete(project.root, "dev", baseline, project.cli("pull", "dev", "--full", "--quiet"))
    assert not lock_file(project.root).exists()


@pytest.mark.parametrize("after_lock_s", [0.3, 1.2], ids=["listing", "retrieve"])
def test_server_killed_mid_pull_fails_untouched_and_a_rerun_succeeds(tmp_path, monkeypatch,
                                                                     after_lock_s):
    with local_project(tmp_path, {"dev": "acme-dev"}, monkeypatch, production=None,
                       extra="  http_timeout_s: 5", seed_types=False) as project:
        org = project.orgs["dev"]
        project.ok("pull", "dev", "--quiet")
        store = SnapshotStore(project.root)
        baseline = store.head("dev")
        org.faults.configure(latency_ms=40)
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = pull_env(project.config(), "dev", full=True)
            except Exception as err:  # noqa: BLE001 - checked below
                outcome["error"] = err

        thread = threading.Thread(target=run)
        thread.start()
        lock = lock_file(project.root)
        wait_for(lock.exists)
        time.sleep(after_lock_s)
        port = org.server.port
        org.server.stop()
        thread.join(120)
        assert not thread.is_alive(), "the pull did not give up on a dead server"
        if "error" in outcome:
            assert getattr(outcome["error"], "exit_code", None) == 3, outcome["error"]
            assert "\n" not in str(outcome["error"])
            assert store.head("dev") == baseline
        else:  # the server answered the last calls on kept-alive connections before dying
            assert metadata_files(store, store.head("dev")) == metadata_files(store, baseline)
        restarted = LocalOrgServer(org.data_dir, port=port).start()
        try:
            complete(project.root, "dev", baseline, project.cli("pull", "dev", "--full", "--quiet"))
        finally:
            restarted.stop()
