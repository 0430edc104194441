"""Shared helpers of the release tests: fixture cases as folders, packages built from them."""

from __future__ import annotations

import json
from pathlib import Path

from sfenv.core.metadata.registry import default_registry
from sfenv.services.promote.rollback import changes_between
from sfenv.services.train.model import PackageFiles
from sfenv.services.train.package import assemble, select, split_manual

CASES = Path(__file__).parent / "cases"
API = "62.0"


def read_tree(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build_case(case: Path) -> PackageFiles:
    """from/ = the target (old side), to/ = the source (new side), scope from case.json."""
    registry = default_registry()
    options = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    old, new = read_tree(case / "from"), read_tree(case / "to")
    changes = select(changes_between(old, new, registry), include=options.get("include", ()),
                     exclude=options.get("exclude", ()), registry=registry)
    packaged, _manual = split_manual(changes, options.get("manual_types", ()))
    pkg, _units = assemble(packaged, new, registry, API)
    return pkg
