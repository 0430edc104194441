"""Faults the local org injects at every phase of a pull and a backup.

A clean pull of acme-dev makes, after the login, 1 describeMetadata, ~25 listMetadata, one
retrieve with its status checks (~29 Metadata API calls), then 4 REST queries (audit trail,
public groups): a request limit of N lets N API calls through, so the values below put the
limit in each phase. Every case ends complete-and-correct or failed-and-untouched.
"""

from __future__ import annotations

import random

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from tests.reliability.kit import complete, untouched

COMMANDS = ("pull", "backup")
# API calls allowed before REQUEST_LIMIT_EXCEEDED: describe, list (first, middle, last),
# retrieve start, retrieve status, audit trail, public groups
LIMIT_PHASES = {"describe": 0, "list-first": 1, "list-middle": 12, "list-late": 24,
                "retrieve": 26, "retrieve-status": 27, "audit-trail": 29, "group-members": 31}
EXPIRY_AFTER = {"list-first": 8, "list-late": 20, "retrieve": 26, "rest": 30}


def first_draw_fails(rate: float) -> int:
    """A seed whose first draw injects a fault (the login phase has a single request)."""
    return next(seed for seed in range(1000) if random.Random(seed).random() < rate)


def run(project, command: str, *extra: str):
    args = [command, "dev", "--quiet", *extra]
    if command == "pull":
        args.append("--full")
    return project.cli(*args)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("phase", list(LIMIT_PHASES))
def test_request_limit_stops_and_keeps_the_ref(clean_dev, command, phase):
    project, _ = clean_dev
    store = SnapshotStore(project.root)
    before = store.head("dev")
    tags_before = store.tags("backup/")
    project.orgs["dev"].faults.configure(request_limit=LIMIT_PHASES[phase])
    result = run(project, command)
    line = untouched(project.root, "dev", before, result, 3)
    assert "REQUEST_LIMIT_EXCEEDED" in line and "limit" in line
    assert SnapshotStore(project.root).tags("backup/") == tags_before, "a backup tag was made"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("phase", list(EXPIRY_AFTER))
def test_session_expiry_logs_in_again_and_completes(clean_dev, command, phase):
    project, baseline = clean_dev
    project.orgs["dev"].faults.configure(session_expiry_after=EXPIRY_AFTER[phase])
    result = run(project, command)
    complete(project.root, "dev", baseline, result)
    assert project.orgs["dev"].faults.counters.get("sessions_expired", 0) >= 1


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kinds", [("soap_login",), ("soap",), ("rest",)],
                         ids=["login", "metadata-api", "rest"])
def test_5xx_storms_retry_then_complete_or_fail_untouched(clean_dev, command, kinds):
    project, baseline = clean_dev
    store = SnapshotStore(project.root)
    before = store.head("dev")
    project.orgs["dev"].faults.configure(error_rate=0.3, error_kinds=kinds,
                                         seed=first_draw_fails(0.3), error_statuses=(500, 503))
    result = run(project, command)
    assert project.orgs["dev"].faults.counters.get("errors", 0) >= 1, "no fault was injected"
    if result.exit_code == 0:
        complete(project.root, "dev", baseline, result)
    else:
        untouched(project.root, "dev", before, result, 3)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_zip_cut_off_twice_fails_untouched(clean_dev, command):
    project, _ = clean_dev
    before = SnapshotStore(project.root).head("dev")
    project.orgs["dev"].faults.configure(truncate_zip=True)
    line = untouched(project.root, "dev", before, run(project, command), 3)
    assert "corrupt zip" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_exception_member_keeps_its_previous_content_marked_stale(clean_dev, command):
    project, baseline = clean_dev
    # InvoiceService changed in the org since the baseline, so the backup must retrieve it (a
    # backup of an unchanged org keeps its snapshot and retrieves nothing: alone, or on another
    # xdist worker than the pull case, the backup case then never met the fault)
    org = project.orgs["dev"].server.org
    with org.lock:
        org.touch_components(["ApexClass:InvoiceService"], org.user_by_name("Priya Patel"))
        org.save()
    project.orgs["dev"].faults.configure(unknown_exception_members={"ApexClass:InvoiceService"})
    result = run(project, command)
    assert result.exit_code == 0, result.output
    store = SnapshotStore(project.root)
    head = store.head("dev")
    for path in ("classes/InvoiceService.cls", "classes/InvoiceService.cls-meta.xml"):
        assert store.files(head)[path] == store.files(baseline)[path]
    assert "ApexClass:InvoiceService" in store.read_file(head, ".sfenv/components.json").decode()
    skipped = store.meta(head)["skipped"]
    assert [s["component"] for s in skipped] == ["ApexClass:InvoiceService"]
    assert skipped[0]["stale"] is True
    if command == "pull":
        assert "skipped ApexClass:InvoiceService (previous content kept, stale)" in result.output
