"""Record who made the changes a promotion brought into an environment (read back by
`sfenv.core.compare.origins`, which attributes them in status)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sfenv.core.compare.origins import ORIGINS_FILE, origins_ref, read_origins
from sfenv.services.records.refwrite import RefWriter, write_record


def record_origins(store: RefWriter, env: str, found: Mapping[str, dict], reason: str) -> str:
    """Merge `found` ({component: {by, date, deployed_date, train}}) into env's record."""

    def merged() -> dict[str, bytes]:
        doc = read_origins(store, env)
        doc.update(found)
        return {ORIGINS_FILE: (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()}

    return write_record(store, origins_ref(env), merged, f"sfenv origins {env}: {reason}\n",
                        f"the origins of {env}")
