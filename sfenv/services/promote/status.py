"""Where each train stands on the path, and which hotfixes are not yet back upstream."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import SfenvError
from sfenv.services.promote.artifacts import built_src, env_values
from sfenv.services.promote.stages import deployed_envs, skipped_envs
from sfenv.services.promote.verify import verify
from sfenv.services.records import release_log as release_log
from sfenv.services.train.checklist import compute_checklist
from sfenv.services.train.model import BuiltTrain, EnvState, LogEntry, TrainSummary
from sfenv.services.train.train import list_trains, load_train
from sfenv.services.train.trees import StoreTree

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore


STATE = {"deployed": "deployed", "validated": "validated", "validation_failed": "failed",
         "deploy_failed": "failed", "rollback_failed": "failed", "rolled_back": "rolled back"}
NOT_YET = "not yet"  # a stage the train has not reached (was "built")


def _path_envs(config: Config) -> list[str]:
    return [env for stage in config.stages for env in stage]


def _holds(config: Config, store: SnapshotStore, built: BuiltTrain, env: str,
           registry: Registry) -> bool:
    """Does `env`'s latest snapshot hold the train's components as built (with its values)?"""
    head = store.head(env)
    if head is None:
        return False
    try:
        values = env_values(config, built, env)
    except SfenvError:  # a value it does not declare: it cannot hold the train
        return False
    result = verify(built_src(store, built, values),
                    [ComponentId.parse(c) for c in built.components],
                    [ComponentId.parse(c) for c in built.deletes], StoreTree(store, head), registry)
    return result.ok


def open_hotfixes(config: Config, store: SnapshotStore, built: BuiltTrain, entries: list[LogEntry],
                  registry: Registry) -> list[str]:
    """Upstream environments a hotfixed train skipped that still lack it."""
    done = deployed_envs(entries)
    missing: list[str] = []
    for entry in entries:
        if entry.action != "promote" or not entry.hotfix or entry.result != "deployed":
            continue
        try:
            skipped = skipped_envs(config, built, entry.env)
        except SfenvError:
            continue
        for env in skipped:
            if env not in done and env not in missing and not _holds(config, store, built, env,
                                                                     registry):
                missing.append(env)
    return missing


def stage_label(state: EnvState) -> str:
    """The one wording of where a train stands in one stage, for `release list`, `release
    status` and the report: `source`, `not yet` (never received), `validated (DATE)`,
    `deployed (DATE)`, `failed (DATE)`, `rolled back (DATE)`, `re-promoted (DATE)` (deployed
    again after a rollback). DATE is the day of the entry that set the state."""
    if state.state in ("source", NOT_YET):
        return state.state
    if state.state == "deployed" and state.repromoted:
        return f"re-promoted ({state.repromoted[:10]})"
    return f"{state.state} ({state.date[:10]})" if state.date else state.state


def stage_states(built: BuiltTrain, envs: list[str], entries: list[LogEntry]) -> list[EnvState]:
    """Each path environment's state for `built`, from its release log, with dates."""
    states: dict[str, EnvState] = {}
    for env in envs:
        states[env] = EnvState(env, "source" if env == built.source else NOT_YET,
                               built.created if env == built.source else "")
    for entry in entries:
        state = STATE.get(entry.result)
        if state is None:  # cancelled: nothing changed
            continue
        previous = states.get(entry.env)
        when = entry.finished or entry.started
        rolled_back = when if state == "rolled back" else (previous.rolled_back if previous
                                                           else None)
        repromoted = None
        if state == "deployed" and previous is not None and previous.rolled_back:
            repromoted = when  # the train came back after its rollback
        elif previous is not None and state != "rolled back":
            repromoted = previous.repromoted
        states[entry.env] = EnvState(
            entry.env, state, when, entry.backup_tag or (previous.backup_tag if previous else ""),
            list(entry.deploy_ids), entry.hotfix or bool(previous and previous.hotfix),
            validated=when if entry.validation_id and entry.result in ("validated", "deployed")
            else (previous.validated if previous else None),
            deployed=when if state == "deployed" else (previous.deployed if previous else None),
            rolled_back=rolled_back, repromoted=repromoted)
    for state in states.values():
        state.label = stage_label(state)
    return list(states.values())


def summary(config: Config, store: SnapshotStore, train: str, registry: Registry | None = None, *,
            with_checklist: bool = True) -> TrainSummary:
    registry = registry or default_registry()
    built = load_train(store, train)
    entries = release_log.read_log(store, train)
    states = {s.env: s for s in stage_states(built, _path_envs(config), entries)}
    backups = sorted({e.backup_tag for e in entries if e.backup_tag})
    checklist: dict[str, list] = {}
    upcoming = next((s.env for s in states.values() if s.state in (NOT_YET, "validated", "failed")
                     and s.env != built.source), None)
    if upcoming and with_checklist and store.head(upcoming):
        # a broken catalogue must not hide where trains stand; `sfenv checklist` says why
        with contextlib.suppress(SfenvError):
            checklist[upcoming] = compute_checklist(config, store, built, upcoming,
                                                    registry=registry)
    return TrainSummary(
        name=built.name, created=built.created, source=built.source, target=built.target,
        digest=built.digest, components=len(built.components) + len(built.deletes),
        envs=list(states.values()), backups=backups,
        hotfix=any(e.hotfix and e.result == "deployed" for e in entries),
        open_hotfixes=open_hotfixes(config, store, built, entries, registry),
        checklist=checklist)


def train_summaries(config: Config, store: SnapshotStore,
                    registry: Registry | None = None) -> list[TrainSummary]:
    registry = registry or default_registry()  # entry point: callers pass the project's
    return sorted((summary(config, store, t, registry) for t in list_trains(store)),
                  key=lambda s: (s.created, s.name))
