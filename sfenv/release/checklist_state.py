"""Checklist done-marks live in the repository's history, not only in a working-tree file.

`sfenv checklist done` writes `releases/<TRAIN>/checklist-<ENV>.json` and commits it on the
releases ref next to the release log, so a CI job on a fresh clone (or a colleague after a
fetch) sees the same ticks. Readers merge the ref's marks with any local file (first mark of
a step wins, as in `record_done`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sfenv.checklist import done_steps, record_done
from sfenv.checklist.state import state_file
from sfenv.release.train import commit_files, releases_head, train_folder


def releases_dir(config: Any) -> Path:
    return Path(config.root) / "releases"


def _from_ref(store: Any, train: str, env: str) -> dict[str, dict[str, str]]:
    head = releases_head(store)
    data = store.read_file(head, f"{train_folder(train)}checklist-{env}.json") if head else None
    if not data:
        return {}
    done = json.loads(data).get("done") or {}
    return {str(k): dict(v) for k, v in done.items() if isinstance(v, dict)}


def current_done(config: Any, store: Any, train: str, env: str) -> dict[str, dict[str, str]]:
    """step id -> {by, at}: the ref's marks merged with the local file's."""
    local = done_steps(releases_dir(config), train, env)
    merged = _from_ref(store, train, env)
    for step, mark in local.items():
        merged.setdefault(step, mark)
    return merged


def record_step_done(config: Any, store: Any, train: str, env: str, step: str, who: str,
                     when: str) -> Path:
    """Tick `step` locally and commit the state on the releases ref."""
    for done_step, mark in _from_ref(store, train, env).items():  # keep marks made elsewhere
        record_done(releases_dir(config), train, env, done_step, mark.get("by", ""), mark.get("at", ""))
    path = record_done(releases_dir(config), train, env, step, who, when)
    commit_files(store, {f"{train_folder(train)}{path.name}": path.read_bytes()},
                 f"sfenv checklist done {train} → {env}: {step} by {who}\n")
    return path


__all__ = ["current_done", "record_step_done", "releases_dir", "state_file"]
