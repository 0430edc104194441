"""The concurrent long-call limit against a local org (issue 28 item 6): the org answers
REQUEST_LIMIT_EXCEEDED "ConcurrentRequests (Concurrent API Requests) Limit exceeded." as
Salesforce does when other jobs of the org hold its 25 long calls. A pull waits and asks
again, and ends with the snapshot a clean pull gives; when the refusals last longer than the
bounded wait, it stops with one line naming the limit (exit 3), its ref unmoved."""

from __future__ import annotations

import itertools

import pytest

from sfenv.io.org import client as client_module
from sfenv.io.org.retry import RetryPolicy
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.localorg.faults import API_KINDS, Decision
from tests.projects import Project, local_project
from tests.reliability.kit import untouched

CONCURRENT = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp, local_project(
            tmp_path_factory.mktemp("limits"), {"qa": "acme-qa"}, mp, production=None) as project:
        yield project


@pytest.fixture
def short_waits(monkeypatch):
    """Waits of a fraction of a second (the backoff's shape is unit-tested), bounded at 3 s."""
    monkeypatch.setattr(client_module, "RetryPolicy", lambda: RetryPolicy(
        limit_wait=3.0, limit_base_delay=0.05, limit_max_delay=0.2))


def refuse(project: Project, monkeypatch, calls) -> list[int]:
    """The org answers the concurrent limit to its API calls numbered in `calls` (from 1);
    returns the list the refused numbers are appended to."""
    faults = project.orgs["qa"].faults
    real, counter, refused = faults.decide, itertools.count(1), []

    def decide(kind: str):
        decision = real(kind)
        if decision is None and kind in API_KINDS:
            n = next(counter)
            if n in calls:
                refused.append(n)
                return Decision("limit", 403, CONCURRENT)
        return decision

    monkeypatch.setattr(faults, "decide", decide)
    return refused


def test_a_pull_refused_for_the_concurrent_limit_waits_and_ends_like_a_clean_pull(
        qa, monkeypatch, short_waits):
    refused = refuse(qa, monkeypatch, {2, 3, 9, 30})  # describe twice, lists, the retrieve's
    pulled = qa.cli_json("pull", "qa", "--full")
    assert refused == [2, 3, 9, 30]
    monkeypatch.undo()
    assert qa.cli_json("pull", "qa", "--full")["changed"] is False  # nothing was missed
    assert pulled["components"] > 0


def test_refusals_beyond_the_bounded_wait_stop_with_one_line_naming_the_limit(
        qa, monkeypatch, short_waits):
    qa.ok("pull", "qa", "--quiet")
    before = SnapshotStore(qa.root).head("qa")
    refuse(qa, monkeypatch, range(3, 10_000))
    line = untouched(qa.root, "qa", before, qa.cli("pull", "qa", "--full", "--quiet"), 3)
    assert "REQUEST_LIMIT_EXCEEDED: ConcurrentRequests" in line, line
    assert "25 calls of 20 s or more at a time" in line
