"""Two promotions of one train to two environments write the same log at once (issue 23,
Medium): every entry must survive, because the log is recomputed from the ref's head inside
the append's retry."""

from __future__ import annotations

import threading

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records import release_log as release_log
from sfenv.services.train.model import LogEntry


def test_concurrent_appends_for_two_envs_lose_no_entry(tmp_path):
    store = SnapshotStore(tmp_path)
    rounds = 8
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(env: str) -> None:
        try:
            start.wait()
            for n in range(rounds):
                entry = LogEntry(action="promote", env=env, result=release_log.IN_PROGRESS,
                                 user="u", started=f"2026-01-01T00:00:{n:02d}Z")
                release_log.append(store, "R1", entry)
                entry.result = "deployed"
                release_log.append(store, "R1", entry)
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(env,)) for env in ("qa", "uat")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    entries = release_log.read_log(store, "R1")
    for env in ("qa", "uat"):
        mine = [e for e in entries if e.env == env]
        assert [e.result for e in mine] == ["deployed"] * rounds, (env, [e.result for e in mine])
