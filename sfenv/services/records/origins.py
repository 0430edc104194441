"""Record who made the changes a promotion brought into an environment (read back by
`sfenv.core.compare.origins`, which attributes them in status, and by the train's plan)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sfenv.core.compare.diff import audit_rows, component_index
from sfenv.core.compare.model import Attribution, Change
from sfenv.core.compare.origins import ORIGINS_FILE, origins_ref, read_origins
from sfenv.core.compare.status import deleted_by
from sfenv.core.metadata.ids import ComponentId
from sfenv.services.records.refwrite import RefWriter, write_record

if TYPE_CHECKING:
    from sfenv.io.store.snapshots import SnapshotStore
    from sfenv.services.train.model import BuiltTrain


def record_origins(store: RefWriter, env: str, found: Mapping[str, dict], reason: str) -> str:
    """Merge `found` ({component: {by, date, deployed_date, train}}) into env's record."""

    def merged() -> dict[str, bytes]:
        doc = read_origins(store, env)
        doc.update(found)
        return {ORIGINS_FILE: (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()}

    return write_record(store, origins_ref(env), merged, f"sfenv origins {env}: {reason}\n",
                        f"the origins of {env}")


def upstream_origins(store: SnapshotStore, built: BuiltTrain, before: str, after: str,
                     found: Mapping[str, dict]) -> dict[str, dict]:
    """What a promotion's origins record needs besides the changes it brought (`found`):

    - who deleted each component the train deletes, as the source knows it (its own origins
      record, else its audit trail), with `deleted: true`: the next train from the target
      credits the deletion to that person, not to the deploy user the target's trail names;
    - for a container deployed whole (a permission set), whose date the deploy moved, the
      target's own author of it before the deploy: its entries the train did not carry keep
      their author instead of becoming the deploy user's.

    `before` / `after`: the target's snapshots around the deploy."""
    out: dict[str, dict] = {}
    before_index = component_index(store, before)
    after_index = component_index(store, after)
    for text in built.components:
        old, new = before_index.get(text), after_index.get(text)
        if text in found or not old or not new:
            continue
        if old.get("lastModifiedDate") != new.get("lastModifiedDate"):
            out[text] = {"by": old.get("lastModifiedByName"), "date": old.get("lastModifiedDate"),
                         "deployed_date": new.get("lastModifiedDate"), "kept": True,
                         "train": built.name, "source": built.source}
    if not built.deletes:
        return out
    origins = read_origins(store, built.source)
    rows = audit_rows(store, built.source_commit)
    for text in built.deletes:
        try:
            cid = ComponentId.parse(text)
        except ValueError:
            continue
        entry = before_index.get(text) or {}
        change = Change(cid, "removed", old_by=Attribution(entry.get("lastModifiedByName"),
                                                           entry.get("lastModifiedDate")))
        gone = deleted_by(change, origins, rows)
        if gone is not None:
            out[text] = {"by": gone.last_modified_by, "date": gone.last_modified_date,
                         "deleted": True, "train": built.name, "source": built.source}
    return out
