"""The release log is rewritten whole on every append (~14 times a promotion); appends after
this process's own write reuse the entries already encoded. The file must stay exactly what
`json.dumps(log, indent=2, sort_keys=True)` writes, entries written by an older sfenv (fewer
fields) must keep what they had, and another process's store must read the same log."""

from __future__ import annotations

import json

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.records import release_log
from sfenv.services.train.model import LogEntry
from sfenv.services.train.train import RELEASES_REF, train_folder

LOG = train_folder("R1") + "log.json"


def entry(env: str, started: str, result: str = release_log.IN_PROGRESS) -> LogEntry:
    return LogEntry(action="promote", env=env, result=result, user="Rel Manager",
                    started=started, verification={"ok": True, "note": "line one\nline two"},
                    overwrites=[{"component": "CustomField:A__c.B__c", "by": "Hand User"}])


def test_appends_write_the_log_json_dumps_writes_and_replace_the_entry_in_progress(tmp_path):
    store = SnapshotStore(tmp_path / "repo")
    old = {"action": "promote", "env": "dev", "result": "deployed", "user": "Old Sfenv",
           "started": "2026-01-01T00:00:00Z"}  # an older sfenv's entry: fewer fields
    store.write_ref_commit(RELEASES_REF, {LOG: json.dumps([old]).encode()}, "old\n",
                           expected_old=None)
    qa = entry("qa", "2026-12-07T08:00:00Z")
    release_log.append(store, "R1", qa)
    qa.steps_done = ["backup", "guard"]
    release_log.append(store, "R1", qa)  # replaces the in-progress entry
    qa.result = "deployed"
    _commit, data = release_log.append(store, "R1", qa)
    uat = entry("uat", "2026-12-07T08:05:00Z")
    _commit, data = release_log.append(store, "R1", uat)

    expected = [old, {**qa.to_dict()}, uat.to_dict()]
    assert data == (json.dumps(expected, indent=2, sort_keys=True) + "\n").encode()
    fresh = SnapshotStore(tmp_path / "repo")  # another process: nothing cached
    assert fresh.read_file(fresh.ref_commit(RELEASES_REF), LOG) == data
    assert [(e.env, e.result, e.user) for e in release_log.read_log(fresh, "R1")] == [
        ("dev", "deployed", "Old Sfenv"), ("qa", "deployed", "Rel Manager"),
        ("uat", release_log.IN_PROGRESS, "Rel Manager")]


def test_an_append_after_another_writer_moved_the_ref_keeps_the_other_writers_entry(tmp_path):
    mine, theirs = SnapshotStore(tmp_path / "repo"), SnapshotStore(tmp_path / "repo")
    release_log.append(mine, "R1", entry("qa", "2026-12-07T08:00:00Z"))
    release_log.append(theirs, "R1", entry("uat", "2026-12-07T08:01:00Z"))  # behind our back
    qa = entry("qa", "2026-12-07T08:00:00Z", "deployed")
    _commit, data = release_log.append(mine, "R1", qa)
    assert [(e["env"], e["result"]) for e in json.loads(data)] == [
        ("uat", release_log.IN_PROGRESS), ("qa", "deployed")]
