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


def deletion_origins(store: SnapshotStore, built: BuiltTrain, before: str) -> dict[str, dict]:
    """Who deleted each component the train deletes, as the source knows it (its own origins
    record, else its audit trail), to record in the target's origins with `deleted: true`: the
    next train from the target then credits the deletion to that person, not to the deploy
    user the target's audit trail names. `before` is the target's snapshot before the deploy."""
    if not built.deletes:
        return {}
    origins = read_origins(store, built.source)
    rows = audit_rows(store, built.source_commit)
    index = component_index(store, before)
    found: dict[str, dict] = {}
    for text in built.deletes:
        try:
            cid = ComponentId.parse(text)
        except ValueError:
            continue
        entry = index.get(text) or {}
        change = Change(cid, "removed", old_by=Attribution(entry.get("lastModifiedByName"),
                                                           entry.get("lastModifiedDate")))
        gone = deleted_by(change, origins, rows)
        if gone is not None:
            found[text] = {"by": gone.last_modified_by, "date": gone.last_modified_date,
                           "deleted": True, "train": built.name, "source": built.source}
    return found
