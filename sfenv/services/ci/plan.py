"""What a pull request's plan comment adds to the plan: the built train's checklist."""

from __future__ import annotations

from sfenv.config.model import Config
from sfenv.core.checklist.model import Step
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.promote import checklist_for
from sfenv.services.train.model import ReleasePlan
from sfenv.services.train.train import list_trains, load_train


def built_checklist(config: Config, store: SnapshotStore, plan: ReleasePlan) -> list[Step] | None:
    """The checklist of the plan's train when it is built from the plan's source commit for its
    target, else None: the comment then lists no steps rather than steps of another build."""
    if plan.train not in list_trains(store):
        return None
    built = load_train(store, plan.train)
    if (built.target, built.source_commit) != (plan.target, plan.source_commit):
        return None
    return checklist_for(config, plan.train, plan.target, store)
