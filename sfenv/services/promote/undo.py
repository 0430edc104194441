"""The checklist steps that undo a promotion's manual changes, added when it is rolled back
(issue 11).

The rollback puts the train's deployable metadata back; what people did by hand around it
(users assigned to a new role, members added to a group, a manual component created) stays.
These steps come from the catalogue applied to the reverse change: `env` as it was with the
train (the promotion's verification snapshot) → `env` as it was before (the backup), limited
to the train's components. Their ids are `undo.<id>` and their titles say "Rollback:", so
they never replace the promotion's own steps in the frozen checklist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sfenv.core.checklist import ChecklistContext, Step, build_checklist, load_catalogue
from sfenv.core.checklist.model import username_suffixes
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.metadata.registry import Registry
from sfenv.services.records.checklist_state import UNDO_PREFIX
from sfenv.services.train.checklist import group_members, train_changes, typed_components
from sfenv.services.train.model import BuiltTrain

if TYPE_CHECKING:
    from sfenv.config.model import Config
    from sfenv.io.store.snapshots import SnapshotStore



def undo_steps(config: Config, store: SnapshotStore, built: BuiltTrain, env: str, with_train: str,
               backup: str, registry: Registry) -> list[Step]:
    """The steps that take `env` from `with_train` back to `backup` by hand."""
    env_cfg = config.env(env)
    reverse = replace(built, source=env, source_commit=backup)
    changes = train_changes(store, reverse, with_train, env, registry,
                            Neutralizer.for_envs(env_cfg, env_cfg))
    manual_ids = set(built.manual)
    ctx = ChecklistContext(
        source_env=env, target_env=env, target_owner=env_cfg.owner,
        target_is_production=env_cfg.production, source_is_production=env_cfg.production,
        manual=[(c.component, c.new_xml) for c in changes
                if str(c.component) in manual_ids and c.new_xml is not None],
        manual_removed=[(c.component, c.old_xml) for c in changes
                        if str(c.component) in manual_ids and c.new_xml is None],
        audit_rows=[], audit_since=None,
        source_components=typed_components(store, backup, registry),
        target_components=typed_components(store, with_train, registry),
        group_members=group_members(store, backup),
        username_suffixes=username_suffixes(config))
    return [replace(s, id=UNDO_PREFIX + s.id, title=f"Rollback: {s.title}")
            for s in build_checklist(changes, ctx, load_catalogue(), registry)]
