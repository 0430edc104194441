"""`sfenv diff release/TRAIN ENV` compares the train's content with the environment, not a
partial package tree with a whole org (issue 26: 433 "differences")."""

from __future__ import annotations

import json

import pytest

from tests.projects import copied_project

SEEDS = {"dev": "acme-dev", "qa": "acme-qa", "prod": "acme-prod"}


@pytest.fixture(scope="module")
def built(acme_pulled, tmp_path_factory):
    """A copy of the session's `acme_pulled` (the same seeds, pulled) with R1 built."""
    assert acme_pulled.envs == SEEDS
    with pytest.MonkeyPatch.context() as mp, copied_project(
            acme_pulled, tmp_path_factory.mktemp("difftrain"), mp) as project:
        plan = project.cli_json("release", "build", "R1", "--from", "dev", "--to", "qa")
        project.train = plan  # type: ignore[attr-defined]
        yield project


def _diff(project, *args: str) -> dict:
    result = project.cli("diff", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_train_compared_with_its_target_shows_only_what_it_changes(built):
    doc = _diff(built, "release/R1", "qa")
    found = {c["component"] for c in doc["changes"]}
    whole = {c["component"] for c in _diff(built, "dev", "qa")["changes"]}
    assert "ApexClass:InvoicePdfLegacy" in found and "CustomField:Account.Customer_Since__c" in found
    assert found <= whole and len(found) < 40, sorted(found)
    # nothing the train does not carry: qa's own components are not "differences"
    assert not [c for c in found if "InvoiceReminderService" in c]


def test_a_train_compared_with_its_source_has_no_difference(built):
    result = built.cli("diff", "release/R1", "dev", "--fail-on-diff")
    assert result.exit_code == 0, result.output
    assert "release/R1: compared as built from dev" in result.output


def test_two_trains_are_refused_with_a_usage_error(built):
    result = built.cli("diff", "release/R1", "release/R1")
    assert result.exit_code == 2 and "compare a train with an environment" in result.output
