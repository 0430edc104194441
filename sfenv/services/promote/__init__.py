"""Release trains: plan, build once, promote hop by hop with backup, validation, verification
and rollback. Other areas call `checklist_for` (the checklist CLI) and `train_summaries`
(the report)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfenv.core.checklist import Step
from sfenv.services.train.model import TrainSummary

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.core.metadata.registry import Registry
    from sfenv.io.store.snapshots import SnapshotStore


def _store(config: Config) -> SnapshotStore:
    from sfenv.io.store.snapshots import SnapshotStore

    return SnapshotStore(config.root)


def checklist_for(config: Config, train: str, env: str,
                  store: SnapshotStore | None = None,
                  registry: Registry | None = None) -> list[Step]:
    """The manual steps of promoting `train` to `env`: frozen at its deploy there (computed
    against the pre-deploy backup), else as `env` is now (its latest snapshot)."""
    from sfenv.services.records.checklist_state import frozen_checklist
    from sfenv.services.train.checklist import compute_checklist
    from sfenv.services.train.train import load_train

    store = store or _store(config)
    built = load_train(store, train)
    frozen = frozen_checklist(store, train, env)
    if frozen is not None:
        return frozen.steps
    return compute_checklist(config, store, built, env, registry=registry)


def train_summaries(config: Config, store: SnapshotStore | None = None,
                    registry: Registry | None = None) -> list[TrainSummary]:
    """Every train: name, created, source, per-env state with dates, backups, hotfix flags."""
    from sfenv.services.promote.status import train_summaries as summaries

    return summaries(config, store or _store(config), registry)


__all__ = ["checklist_for", "train_summaries"]
