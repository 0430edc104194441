"""Merging two histories of the release record (`refs/heads/sfenv/releases`).

Two CI jobs that promote or tick in different environments both write the one release record.
When their commits diverge, the record is merged, never overwritten: a file changed on one side
only takes that side; a train's `log.json` changed on both sides is the union of its entries
(an entry is one attempt: action, env and start time; a finished outcome wins over the intent
recorded before it); a `checklist-<ENV>.json` changed on both sides keeps every tick of both
histories, in time order, and the later freeze. Anything else changed on both sides is a real
conflict: the merge refuses it, naming the file, and nothing is pushed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sfenv.errors import StoreError

# Outcomes that only say an attempt started or never ended: a finished entry replaces them.
_UNFINISHED = ("in_progress", "deploy_unknown", "unverified")


def _entry_key(entry: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(entry.get("action", "")), str(entry.get("env", "")), str(entry.get("started", "")))


def _rank(entry: Mapping[str, Any]) -> tuple[int, str]:
    """Which of two versions of one attempt says more: a finished one, then the later end."""
    return (0 if entry.get("result") in _UNFINISHED else 1, str(entry.get("finished") or ""))


def merge_log(ours: bytes, theirs: bytes) -> bytes:
    """Union of two versions of a train's release log, in start order."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for raw in (ours, theirs):
        for entry in json.loads(raw):
            key = _entry_key(entry)
            if key not in merged or _rank(entry) > _rank(merged[key]):
                merged[key] = entry
    entries = sorted(merged.values(), key=lambda e: (str(e.get("started", "")), _entry_key(e)))
    return (json.dumps(entries, indent=2, sort_keys=True) + "\n").encode()


def _history_key(item: Mapping[str, Any]) -> str:
    return json.dumps(item, sort_keys=True)


def merge_checklist(ours: bytes, theirs: bytes,
                    replay: Callable[[list[dict[str, str]]], dict[str, dict[str, str]]]) -> bytes:
    """Union of two versions of one checklist record: every history item of both, ordered by
    time, `done` recomputed by `replay` (the record's own rule), the later `frozen` kept."""
    a, b = json.loads(ours), json.loads(theirs)
    seen: dict[str, dict[str, Any]] = {}
    for item in [*a.get("history", []), *b.get("history", [])]:
        seen.setdefault(_history_key(item), item)
    history = sorted(seen.values(), key=lambda h: str(h.get("at", "")))
    doc = {**a, **b}
    frozen = [f for f in (a.get("frozen"), b.get("frozen")) if f]
    if frozen:
        doc["frozen"] = max(frozen, key=lambda f: str(f.get("at", "")))
    doc["history"] = history
    doc["done"] = replay(history)
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def merge_record_files(base: Mapping[str, str], ours: Mapping[str, str],
                       theirs: Mapping[str, str], read: Callable[[str], bytes],
                       replay: Callable[[list[dict[str, str]]], dict[str, dict[str, str]]],
                       ) -> dict[str, str | bytes]:
    """Three-way merge of the record's trees (path -> blob id each); returns path -> blob id
    (unchanged content) or bytes (merged content). StoreError names a file both sides changed
    that has no merge rule."""
    out: dict[str, str | bytes] = {}
    for path in sorted(set(ours) | set(theirs)):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if o == t or t == b:
            chosen: str | bytes | None = o
        elif o == b:
            chosen = t
        elif o is None or t is None:
            raise StoreError(f"release record: {path} was deleted on one side and changed on "
                             f"the other; merge it by hand")
        elif path.endswith("/log.json"):
            chosen = merge_log(read(o), read(t))
        elif path.rsplit("/", 1)[-1].startswith("checklist-") and path.endswith(".json"):
            chosen = merge_checklist(read(o), read(t), replay)
        else:
            raise StoreError(f"release record: {path} changed on both sides and has no merge "
                             f"rule (a train is built once); merge it by hand")
        if chosen is not None:
            out[path] = chosen
    return out
