"""The checklist record of a train in one environment, kept on the releases ref.

`releases/<TRAIN>/checklist-<ENV>.json` on `refs/heads/sfenv/releases` is the truth; the same
document is exported to `<root>/releases/<TRAIN>/checklist-<ENV>.json` for people to read. It
holds, in one JSON object (keys sorted, so it diffs cleanly):

- `frozen`: the steps as computed at promotion against the pre-deploy backup (`steps`, Step
  dicts), with `at`, `by`, `backup_commit`, `backup_tag`, `reason`. Absent until a promotion
  freezes it; from then on the checklist is shown as frozen, never recomputed against the org.
  A later freeze (re-promotion, rollback) keeps every step already there, with its tick, and
  adds the steps it brings that are new.
- `done`: step id -> {by, at} for the steps ticked now.
- `history`: every tick, un-tick and freeze in order ({action, step, by, at, ...}). `done` is
  always what replaying `history` gives: each change writes both in the same commit.

A step ticked by someone else is refused (un-tick it first); ticking again by the same
person changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfenv.core.checklist import Step
from sfenv.errors import ChecklistError, ReleaseError, StoreError
from sfenv.services.records.checklist_done import done_steps, state_file
from sfenv.services.records.release_log import read_log
from sfenv.services.train.checklist import compute_checklist
from sfenv.services.train.train import RELEASES_REF, export, load_train, releases_head, train_folder

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.train.model import LogEntry


Mark = dict[str, str]  # {"by", "at"} (+ "note": why it was closed without a person's tick)
UNDO_PREFIX = "undo."  # the steps a rollback adds to undo the promotion's manual changes


@dataclass
class FrozenChecklist:
    """A train's checklist in one environment as frozen at promotion, with its ticks."""

    train: str
    env: str
    steps: list[Step]
    at: str = ""
    by: str = ""
    backup_commit: str = ""
    backup_tag: str = ""
    reason: str = ""
    done: dict[str, Mark] = field(default_factory=dict)
    history: list[dict[str, str]] = field(default_factory=list)

    def open_steps(self, phase: str | None = None) -> list[Step]:
        return [s for s in self.steps if s.id not in self.done and phase in (None, s.phase)]

    def to_dict(self) -> dict[str, Any]:
        return {"train": self.train, "env": self.env, "at": self.at, "by": self.by,
                "backup_commit": self.backup_commit, "backup_tag": self.backup_tag,
                "reason": self.reason, "steps": [s.to_dict() for s in self.steps],
                "done": self.done, "history": self.history}


def releases_dir(config: Config) -> Path:
    return Path(config.root) / "releases"


def _path(train: str, env: str) -> str:
    state_file(Path("."), train, env)  # validates both names (ChecklistError)
    return f"{train_folder(train)}checklist-{env}.json"


def _document(store: SnapshotStore, train: str, env: str,
              head: str | None = None) -> dict[str, Any] | None:
    head = head or releases_head(store)
    data = store.read_file(head, _path(train, env)) if head else None
    if not data:
        return None
    try:
        doc = json.loads(data)
    except ValueError as err:
        raise ChecklistError(f"{_path(train, env)} on the releases ref is unreadable ({err})") from None
    if not isinstance(doc, dict):
        raise ChecklistError(f"{_path(train, env)} on the releases ref is not a JSON object")
    return doc


def _marks(raw: Any) -> dict[str, Mark]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): {"by": str(v.get("by", "")), "at": str(v.get("at", "")),
                     **({"note": str(v["note"])} if v.get("note") else {})}
            for k, v in raw.items() if isinstance(v, dict)}


def _step(raw: dict[str, Any]) -> Step:
    known = {k: v for k, v in raw.items() if k in Step.__dataclass_fields__}
    known["details"] = [str(d) for d in known.get("details") or []]
    return Step(**known)


# -- reading ----------------------------------------------------------------------------------

def frozen_checklist(store: SnapshotStore, train: str, env: str) -> FrozenChecklist | None:
    """The checklist frozen for `train` in `env`, with its ticks; None when not frozen yet."""
    doc = _document(store, train, env)
    frozen = (doc or {}).get("frozen")
    if not isinstance(frozen, dict):
        return None
    assert doc is not None
    return FrozenChecklist(
        train=train, env=env,
        steps=[_step(s) for s in frozen.get("steps") or [] if isinstance(s, dict)],
        at=str(frozen.get("at", "")), by=str(frozen.get("by", "")),
        backup_commit=str(frozen.get("backup_commit", "")),
        backup_tag=str(frozen.get("backup_tag", "")), reason=str(frozen.get("reason", "")),
        done=_marks(doc.get("done")),
        history=[dict(h) for h in doc.get("history") or [] if isinstance(h, dict)])


def current_done(config: Config, store: SnapshotStore, train: str, env: str) -> dict[str, Mark]:
    """step id -> {by, at}: the releases ref's record; the exported file only when the ref has
    none (a repository from before the record moved to the ref)."""
    doc = _document(store, train, env)
    if doc is not None:
        return _marks(doc.get("done"))
    return done_steps(releases_dir(config), train, env) if config is not None else {}


def step_history(store: SnapshotStore, train: str, env: str) -> list[dict[str, str]]:
    doc = _document(store, train, env) or {}
    return [dict(h) for h in doc.get("history") or [] if isinstance(h, dict)]


# -- writing ----------------------------------------------------------------------------------

def _base_doc(config: Config, store: SnapshotStore, train: str, env: str,
              head: str | None) -> dict[str, Any]:
    doc = _document(store, train, env, head)
    if doc is None:
        doc = {"train": train, "env": env, "done": {}, "history": []}
        # marks made before the record moved to the ref: carried over, and into the history
        old = done_steps(releases_dir(config), train, env) if config is not None else {}
        for step, mark in sorted(old.items(), key=lambda kv: kv[1].get("at", "")):
            doc["done"][step] = mark
            doc["history"].append({"action": "done", "step": step, **mark})
    doc.setdefault("done", {})
    doc.setdefault("history", [])
    doc["train"], doc["env"] = train, env
    return doc


def _update(config: Config, store: SnapshotStore, train: str, env: str,
            change: Callable[[dict[str, Any]], str | None]) -> None:
    """Read the record at the ref's head, let `change` edit it (returning the commit message,
    or None for no change), and commit it only if the ref did not move meanwhile; else read
    again. So two people ticking at once never lose a tick, and state and history agree."""
    path = _path(train, env)
    for _ in range(5):
        head = releases_head(store)
        doc = _base_doc(config, store, train, env, head)
        message = change(doc)
        if message is None:
            return
        data = (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        try:
            store.write_ref_commit(RELEASES_REF, {path: data}, message, expected_old=head,
                                   base_commit=head)
        except StoreError:
            if releases_head(store) == head:
                raise
            continue
        if config is not None:
            export(config, train, {f"checklist-{env}.json": data})
        return
    raise ChecklistError(f"{RELEASES_REF} keeps moving: try again")


def freeze_checklist(store: SnapshotStore, train: str, env: str, steps: list[Step],
                     backup_commit: str,
                     *, backup_tag: str = "", by: str = "", when: str = "",
                     reason: str = "promotion", config: Config = None) -> FrozenChecklist:
    """Freeze `steps` as `train`'s checklist in `env` (computed against `backup_commit`).

    The first freeze records the steps as given. A later one (re-promotion, rollback) keeps
    every step already frozen, ticked or open, and appends the new ones; the backup recorded is
    the latest. A promotion's freeze closes the open undo steps of an earlier rollback (the
    train is back, so there is nothing to undo), noting "superseded by the re-promotion". Ticks made before the freeze (on the live checklist) are kept. Commits on the
    releases ref; with `config`, exports the file under `<root>/releases/`."""

    def change(doc: dict[str, Any]) -> str:
        old = doc.get("frozen") if isinstance(doc.get("frozen"), dict) else {}
        kept = [_step(s) for s in old.get("steps") or [] if isinstance(s, dict)]
        known = {s.id for s in kept}
        added = [s for s in steps if s.id not in known]
        merged = kept + added
        doc["frozen"] = {"at": when, "first_at": str(old.get("first_at") or old.get("at") or when),
                         "by": by, "backup_commit": backup_commit, "backup_tag": backup_tag,
                         "reason": reason, "steps": [s.to_dict() for s in merged]}
        doc["history"].append({"action": "freeze", "by": by, "at": when, "reason": reason,
                               "backup_tag": backup_tag,
                               "added": ",".join(s.id for s in added)})
        if reason == "promotion":  # the train is back: the rollback's undo steps are moot
            note = f"superseded by the re-promotion of {when[:10]}"
            for step in merged:
                if step.id.startswith(UNDO_PREFIX) and step.id not in doc["done"]:
                    doc["done"][step.id] = {"by": by, "at": when, "note": note}
                    doc["history"].append({"action": "done", "step": step.id, "by": by,
                                           "at": when, "note": note})
        return (f"sfenv checklist freeze {train} → {env}: {len(merged)} steps "
                f"({len(added)} new, {reason})\n")

    _update(config, store, train, env, change)
    frozen = frozen_checklist(store, train, env)
    assert frozen is not None
    return frozen


def record_step_done(config: Config, store: SnapshotStore, train: str, env: str, step: str,
                     who: str,
                     when: str) -> Path:
    """Tick `step`: refused when someone else ticked it (un-tick first); the same person
    again changes nothing. Returns the exported file."""
    if not step or not step.strip():
        raise ChecklistError("a step id is required")

    def change(doc: dict[str, Any]) -> str | None:
        mark = doc["done"].get(step)
        if mark is not None:
            if mark.get("by") != who:
                raise ChecklistError(
                    f"{train} → {env}: {step} was done by {mark.get('by')} at {mark.get('at')}; "
                    f"`sfenv checklist undo {train} {step} --env {env}` first to record it again")
            return None
        doc["done"][step] = {"by": who, "at": when}
        doc["history"].append({"action": "done", "step": step, "by": who, "at": when})
        return f"sfenv checklist done {train} → {env}: {step} by {who}\n"

    _update(config, store, train, env, change)
    return state_file(releases_dir(config), train, env)


def record_step_undone(config: Config, store: SnapshotStore, train: str, env: str, step: str,
                       who: str,
                       when: str) -> Mark:
    """Un-tick `step` (logged with who and when); returns the mark it removed."""
    removed: list[Mark] = []

    def change(doc: dict[str, Any]) -> str:
        mark = doc["done"].pop(step, None)
        if mark is None:
            raise ChecklistError(f"{train} → {env}: {step} is not done, nothing to undo")
        removed[:] = [mark]
        doc["history"].append({"action": "undo", "step": step, "by": who, "at": when,
                               "was_by": mark.get("by", ""), "was_at": mark.get("at", "")})
        return f"sfenv checklist undo {train} → {env}: {step} by {who}\n"

    _update(config, store, train, env, change)
    return removed[0]


def replay(history: list[dict[str, str]]) -> dict[str, Mark]:
    """The ticks a history gives (what `done` must equal)."""
    done: dict[str, Mark] = {}
    for h in history:
        if h.get("action") == "done":
            done[h.get("step", "")] = {"by": h.get("by", ""), "at": h.get("at", ""),
                                       **({"note": h["note"]} if h.get("note") else {})}
        elif h.get("action") == "undo":
            done.pop(h.get("step", ""), None)
    return done

# -- what the checklist command shows ---------------------------------------------------------

@dataclass
class ChecklistView:
    """The steps to show for a train in an environment, their ticks, and where they came from:
    `frozen` (at promotion), `backup` (deployed before freezing existed: computed against the
    pre-deploy backup the release log names) or `live` (not promoted yet: the env as it is)."""

    train: str
    env: str
    steps: list[Step]
    done: dict[str, Mark]
    basis: str
    frozen: FrozenChecklist | None = None
    backup_commit: str = ""
    backup_tag: str = ""


def check_target(config: Config, store: SnapshotStore, train: str, env: str) -> None:
    """Refuse the checklist of the train's source (or an environment before it on the path):
    nothing is promoted there (ChecklistError, exit 2, naming the path)."""
    try:
        built = load_train(store, train)
    except ReleaseError:
        return  # an unknown train: the step provider says so
    order = [e for stage in config.stages for e in stage]
    if env not in order or built.source not in order:
        return
    if config.stage_index(env) <= config.stage_index(built.source):
        later = [e for e in order if config.stage_index(e) > config.stage_index(built.source)]
        what = "the source" if env == built.source else "upstream of the source"
        raise ChecklistError(
            f"{env} is {what} of {train} (path {' → '.join(order)}): a checklist is for the "
            f"environments {train} is promoted to ({', '.join(later) or 'none'})")


def _deployed_entry(store: SnapshotStore, train: str, env: str) -> LogEntry | None:
    last = None
    for entry in read_log(store, train):
        if entry.env == env and entry.action == "promote" and entry.result == "deployed":
            last = entry
    return last


def checklist_view(config: Config, store: SnapshotStore, train: str, env: str,
                   live: Callable[[Config, str, str], list[Step]]) -> ChecklistView:
    """What `sfenv checklist TRAIN --env ENV` shows; `live(config, train, env)` computes the
    steps against the env as it is now (used only before any promotion there)."""
    check_target(config, store, train, env)
    frozen = frozen_checklist(store, train, env)
    if frozen is not None:
        return ChecklistView(train, env, frozen.steps, frozen.done, "frozen", frozen,
                             frozen.backup_commit, frozen.backup_tag)
    done = current_done(config, store, train, env)
    entry = _deployed_entry(store, train, env)
    if entry is not None and entry.backup_commit:
        steps = compute_checklist(config, store, load_train(store, train), env,
                                  entry.backup_commit)
        return ChecklistView(train, env, steps, done, "backup", None, entry.backup_commit,
                             entry.backup_tag)
    return ChecklistView(train, env, list(live(config, train, env)), done, "live")


def freeze_view(config: Config, store: SnapshotStore, view: ChecklistView, by: str,
                when: str) -> FrozenChecklist | None:
    """A view computed from the pre-deploy backup becomes the frozen record (at the first tick
    after such a deploy), so later ticks and the changelog read the same steps."""
    if view.basis != "backup":
        return view.frozen
    return freeze_checklist(store, view.train, view.env, view.steps, view.backup_commit,
                            backup_tag=view.backup_tag, by=by, when=when,
                            reason="deployed before freezing: computed against the backup",
                            config=config)


__all__ = ["UNDO_PREFIX", "ChecklistView", "FrozenChecklist", "check_target", "checklist_view", "current_done",
           "freeze_checklist", "freeze_view", "frozen_checklist", "record_step_done",
           "record_step_undone", "releases_dir", "replay", "state_file", "step_history"]
