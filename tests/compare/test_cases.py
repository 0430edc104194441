"""Fixture cases for compare, one folder per identity shape: `cases/<case>/from/` and `to/`
are two snapshot trees, `expected.json` the diff a user sees (rows and element detail).

One case per section of profiles and permission sets (single keys, and the composite keys of
layout assignments, login IP ranges and action overrides) and one per child type: each keeps
one entry and changes it, drops a second and adds a third, so two entries collapsing into one
row (a lost change) shows as a wrong expected.json. Add a case by adding a folder;
`SFENV_REGEN=1` writes expected.json (review it by eye before committing).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from memstore import MemoryStore

from sfenv.core.compare.diff import diff_commits
from sfenv.core.metadata.registry import default_registry

CASES = Path(__file__).parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())
_INCOMPLETE = [f"{p.name}/{part}" for p in CASE_DIRS for part in ("from", "to", "expected.json")
               if not (p / part).exists() and not (part == "expected.json" and os.environ.get("SFENV_REGEN"))]
if _INCOMPLETE:  # a collection error, not a skipped or silently passing case
    raise RuntimeError(f"compare cases missing files: {', '.join(_INCOMPLETE)}")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _seen(diff) -> list[dict]:
    return [{"component": str(c.component), "kind": c.kind,
             "parent": str(c.parent) if c.parent else None, "path": c.path,
             "elements": [str(e) for e in c.elements]} for c in diff.changes]


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case_gives_exactly_the_expected_diff(case: Path):
    store = MemoryStore()
    a, b = store.write(_tree(case / "from")), store.write(_tree(case / "to"))
    seen = json.dumps(_seen(diff_commits(store, a, b, registry=default_registry())),
                      indent=1, ensure_ascii=False) + "\n"
    expected = case / "expected.json"
    if os.environ.get("SFENV_REGEN"):
        expected.write_text(seen, encoding="utf-8")
    assert seen == expected.read_text(encoding="utf-8")


def test_every_section_and_child_type_has_a_case():
    registry = default_registry()
    names = {p.name for p in CASE_DIRS}
    wanted = {f"profile-{s.xml_element}" for s in registry.get("Profile").sections}
    wanted |= {f"permissionset-{s.xml_element}" for s in registry.get("PermissionSet").sections}
    wanted |= {f"child-{spec.type_name}" for t in registry.types for spec in t.children}
    assert sorted(wanted - names) == []
