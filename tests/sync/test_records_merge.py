"""The release record's merge rules, file by file."""

from __future__ import annotations

import json

import pytest

from sfenv.errors import StoreError
from sfenv.services.records.checklist_state import replay
from sfenv.services.sync.records_merge import merge_checklist, merge_log, merge_record_files


def _doc(history: list[dict[str, str]], frozen_at: str = "") -> bytes:
    doc = {"history": history, "done": replay(history)}
    if frozen_at:
        doc["frozen"] = {"at": frozen_at, "steps": []}
    return json.dumps(doc).encode()


def test_ticks_made_in_two_jobs_are_all_kept_in_time_order():
    tick_a = {"action": "done", "step": "before.1", "by": "ana", "at": "2026-12-01T10:00"}
    tick_b = {"action": "done", "step": "after.2", "by": "ben", "at": "2026-12-01T11:00"}
    undo_a = {"action": "undo", "step": "before.1", "by": "ana", "at": "2026-12-01T12:00"}
    merged = json.loads(merge_checklist(_doc([tick_a, undo_a], "2026-12-01T09:00"),
                                        _doc([tick_b], "2026-12-01T09:30"), replay))
    assert [h["at"] for h in merged["history"]] == [tick_a["at"], tick_b["at"], undo_a["at"]]
    assert set(merged["done"]) == {"after.2"}  # what replaying the merged history gives
    assert merged["frozen"]["at"] == "2026-12-01T09:30"


def test_log_union_keeps_each_attempt_once_with_its_outcome():
    intent = {"action": "promote", "env": "qa", "started": "t1", "result": "in_progress"}
    done = {**intent, "result": "deployed", "finished": "t2"}
    other = {"action": "rollback", "env": "qa", "started": "t3", "result": "rolled_back"}
    merged = json.loads(merge_log(json.dumps([done]).encode(),
                                  json.dumps([intent, other]).encode()))
    assert [(e["action"], e["result"]) for e in merged] == [("promote", "deployed"),
                                                            ("rollback", "rolled_back")]


def test_a_built_train_file_changed_on_both_sides_is_refused_by_name():
    base = {"releases/R1/package.xml": "b0"}
    with pytest.raises(StoreError, match="releases/R1/package.xml changed on both sides"):
        merge_record_files(base, {"releases/R1/package.xml": "b1"},
                           {"releases/R1/package.xml": "b2"}, lambda sha: b"", replay)


def test_files_changed_on_one_side_only_take_that_side():
    base = {"a": "1", "b": "1"}
    merged = merge_record_files(base, {"a": "2", "b": "1"}, {"a": "1", "b": "3", "c": "4"},
                                lambda sha: b"", replay)
    assert merged == {"a": "2", "b": "3", "c": "4"}
