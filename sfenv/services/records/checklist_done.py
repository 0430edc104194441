"""Which checklist steps are done, kept as JSON in the repository next to the release:
`<dir>/<train>/checklist-<env>.json`. The caller chooses `<dir>` (the releases folder)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from sfenv.errors import ChecklistError

SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def state_file(releases_dir: Path, train: str, env: str) -> Path:
    for what, value in (("train", train), ("environment", env)):
        if not SAFE.match(value) or ".." in value:
            raise ChecklistError(f"invalid {what} name for a checklist file: {value!r}")
    return Path(releases_dir) / train / f"checklist-{env}.json"


def done_steps(releases_dir: Path, train: str, env: str) -> dict[str, dict[str, str]]:
    """step id -> {"by", "at"} for the steps recorded as done ({} when none yet)."""
    path = state_file(releases_dir, train, env)
    if not path.exists():
        return {}
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ChecklistError(f"{path}: unreadable checklist state ({err})") from None
    done = doc.get("done") if isinstance(doc, dict) else None
    if not isinstance(done, dict):
        raise ChecklistError(f"{path}: expected an object with a 'done' mapping")
    return {str(k): {"by": str(v.get("by", "")), "at": str(v.get("at", ""))}
            for k, v in done.items() if isinstance(v, dict)}


def record_done(releases_dir: Path, train: str, env: str, step_id: str, who: str,
                when: str) -> Path:
    """Mark a step done (idempotent: the first record is kept). Written atomically, keys
    sorted, so the file diffs cleanly in git."""
    if not step_id or not step_id.strip():
        raise ChecklistError("a step id is required")
    path = state_file(releases_dir, train, env)
    done = done_steps(releases_dir, train, env)
    done.setdefault(step_id, {"by": who, "at": when})
    doc = {"train": train, "env": env, "done": done}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checklist-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
