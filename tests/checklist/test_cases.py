"""Each catalogue rule has a fixture case: before/after metadata -> the exact expected steps."""

from __future__ import annotations

import json
import os

import pytest

from sfenv.core.checklist import build_checklist, load_catalogue
from sfenv.views.checklist import dumps

from .casekit import CASES, load_case

CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case_gives_exactly_the_expected_steps(case, catalogue):
    changes, ctx = load_case(case)
    steps = [s.to_dict() for s in build_checklist(changes, ctx, catalogue)]
    expected_file = case / "expected.json"
    if os.environ.get("SFENV_REGEN"):  # write, then review the diff by eye before committing
        expected_file.write_text(dumps(steps))
    assert dumps(steps) == expected_file.read_text()


def test_every_rule_has_a_case(catalogue):
    covered = set()
    for case in CASE_DIRS:
        covered |= {s["rule"] for s in json.loads((case / "expected.json").read_text())}
    missing = [r.id for r in catalogue.rules if r.id not in covered]
    assert not missing, f"rules without a fixture case giving a step: {missing}"
