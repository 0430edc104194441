"""#28's merge job: `release promote --check-only` (the pull request's job) records its
validation id and package digest; the later `release promote` of the same train to the same
environment, with the same package, quick deploys that validation instead of validating again
(the intent logged like any submit), and deploys in full when Salesforce refuses it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sfenv.errors import OrgError
from sfenv.io.org.client import OrgClient
from sfenv.services.promote.reuse import reusable_validation
from sfenv.services.train.model import LogEntry
from tests.reliability.promote_kit import Path2, finished_deployed, two_orgs
from tests.reliability.test_promote_exactly_once import accepted, exactly_once


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from two_orgs(tmp_path_factory.mktemp("reuse"))


def validations(p: Path2) -> int:
    from sfenv.localorg.rest.deploy_requests import rows as deploy_requests

    return sum(1 for r in deploy_requests(p.orgs["qa"].server.org) if r["CheckOnly"])


def test_the_merge_job_quick_deploys_the_pull_request_validation(path2: Path2):
    train, value = path2.new_train()
    path2.ok("release", "promote", train, "--to", "qa", "--check-only")
    checked = path2.log(train)[-1]
    assert checked["result"] == "validated" and checked["validation_id"]
    assert checked["package_digests"]
    before, validated = accepted(path2), validations(path2)

    result = path2.ok("release", "promote", train, "--to", "qa")
    assert f"reusing the validation {checked['validation_id']}" in result.output
    assert validations(path2) == validated, "validated again"
    entry = finished_deployed(path2, train, value)
    assert [(i["kind"], i["validation_id"]) for i in entry["deploy_intents"]] == [
        ("quick", checked["validation_id"])]
    assert len(exactly_once(path2, before)) == 1


def test_a_refused_quick_deploy_of_the_old_validation_deploys_in_full(path2: Path2, monkeypatch):
    train, value = path2.new_train()
    path2.ok("release", "promote", train, "--to", "qa", "--check-only")

    def refused(self, validation_id):
        raise OrgError("deployRecentValidation: INVALID_ID_FIELD: no longer valid",
                       code="INVALID_ID_FIELD")

    monkeypatch.setattr(OrgClient, "submit_quick_deploy", refused)
    before = accepted(path2)
    result = path2.ok("release", "promote", train, "--to", "qa")
    assert "quick deploy refused by qa" in result.output
    entry = finished_deployed(path2, train, value)
    assert [i["kind"] for i in entry["deploy_intents"]] == ["quick", "full"]
    assert len(exactly_once(path2, before)) == 1


def _entry(result: str, day: datetime, digests: list[str]) -> LogEntry:
    stamp = day.strftime("%Y-%m-%dT%H:%M:%SZ")
    return LogEntry(action="promote", env="qa", result=result, user="u", started=stamp,
                    finished=stamp, validation_id="0Af1" if result == "validated" else "",
                    package_digests=digests)


def test_only_a_recent_validation_of_the_same_package_with_nothing_deployed_since():
    now = datetime(2026, 12, 6, tzinfo=timezone.utc)  # noqa: UP017 - as the code under test
    fresh = _entry("validated", now - timedelta(days=2), ["sha256:a"])
    assert reusable_validation([fresh], "qa", ["sha256:a"], now) is fresh
    assert reusable_validation([fresh], "qa", ["sha256:b"], now) is None  # another package
    old = _entry("validated", now - timedelta(days=10), ["sha256:a"])
    assert reusable_validation([old], "qa", ["sha256:a"], now) is None  # Salesforce's 10 days
    since = _entry("deployed", now - timedelta(days=1), ["sha256:a"])
    assert reusable_validation([fresh, since], "qa", ["sha256:a"], now) is None
    assert reusable_validation([fresh], "uat", ["sha256:a"], now) is None
