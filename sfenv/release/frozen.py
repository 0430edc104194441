"""The checklist of a promotion, frozen: `releases/<TRAIN>/checklist-frozen-<ENV>.json`.

At each deploy the steps computed against the pre-deploy backup are stored on the releases ref
(in the same commit as the log entry), so after the deploy `sfenv checklist TRAIN --env ENV`
shows the steps as they were, not a recomputation against an org that now holds the train
(which would find nothing left to do). Ticks stay where they are (`checklist-<ENV>.json`,
`sfenv.release.checklist_state`). A rollback leaves the file alone (open steps stay open); a
re-promotion keeps every step the earlier freeze held and adds the new ones.

Format: {"train", "env", "frozen_at", "backup_tag", "backup_commit", "promotions": [times],
"steps": [Step.to_dict(), ...]}.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sfenv.checklist import Step
from sfenv.release.train import releases_head, train_folder


def frozen_name(env: str) -> str:
    return f"checklist-frozen-{env}.json"


def read_frozen(store: Any, train: str, env: str) -> dict[str, Any] | None:
    """The frozen checklist document of (train, env), or None before any deploy there."""
    head = releases_head(store)
    data = store.read_file(head, train_folder(train) + frozen_name(env)) if head else None
    try:
        doc = json.loads(data) if data else None
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("steps"), list) else None


def frozen_steps(store: Any, train: str, env: str) -> list[Step] | None:
    """The frozen steps as `Step`s (what `sfenv checklist` lists after a deploy), or None."""
    doc = read_frozen(store, train, env)
    if doc is None:
        return None
    fields = Step.__dataclass_fields__
    return [Step(**{k: v for k, v in s.items() if k in fields}) for s in doc["steps"]
            if isinstance(s, dict) and s.get("id")]


def freeze(store: Any, train: str, env: str, steps: Sequence[Step], *, when: str,
           backup_tag: str, backup_commit: str) -> dict[str, bytes]:
    """The file (relative to the train folder) freezing `steps`, merged with an earlier freeze:
    a step frozen before and absent now is kept (it may still be open)."""
    previous = read_frozen(store, train, env) or {}
    ids = {s.id for s in steps}
    kept = [s for s in previous.get("steps", []) if isinstance(s, dict) and s.get("id") not in ids]
    doc = {"train": train, "env": env, "frozen_at": previous.get("frozen_at") or when,
           "backup_tag": backup_tag, "backup_commit": backup_commit,
           "promotions": [*previous.get("promotions", []), when],
           "steps": [s.to_dict() for s in steps] + kept}
    return {frozen_name(env): (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()}
