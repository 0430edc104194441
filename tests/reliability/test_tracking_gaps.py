"""Incremental pulls on an org with source tracking, where SourceMember says less than it
should (issue 23): a change with no row, an edit while tracking was off, a report moved with
a row for its new name only, a counter reset that later passes the recorded value, rows
missing. Every case ends with the snapshot a full pull gives: at once where a discontinuity
shows, by the verifying pull (`pull.verify_every`) or by the next backup where none can."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sfenv.io.store.snapshots import SnapshotStore
from tests.projects import Project, local_project

VERIFY_EVERY = 3
TRIGGER = "ApexTrigger:InvoiceTrigger"
FOLDER_META = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ReportFolder xmlns="http://soap.'
               b'sforce.com/2006/04/metadata">\n    <name>Ops Reports</name>\n</ReportFolder>\n')


@pytest.fixture(scope="module")
def tracked(tmp_path_factory) -> Iterator[Project]:
    """acme-dev (a Developer sandbox with source tracking) with a second, empty report folder,
    verifying every third pull."""
    with pytest.MonkeyPatch.context() as mp, local_project(
            tmp_path_factory.mktemp("track"), {"dev": "acme-dev"}, mp, production=None,
            extra=f"  verify_every: {VERIFY_EVERY}", seed_types=False) as project:
        org = project.orgs["dev"].server.org
        with org.lock:
            (org.metadata_dir / "reports" / "Ops_Reports").mkdir()
            (org.metadata_dir / "reports" / "Ops_Reports.reportFolder-meta.xml").write_bytes(
                FOLDER_META)
            org.touch_components(["ReportFolder:Ops_Reports"], org.admin)
            org.save()
        project.ok("pull", "dev", "--quiet")
        yield project


@pytest.fixture
def dev(tracked: Project) -> Project:
    """The project after a full pull (the counter recorded, nothing carried yet) and one
    tracked change pulled incrementally (so the recorded counter has a row)."""
    tracked.ok("pull", "dev", "--full", "--quiet")
    edit(tracked, "AccountScoring", tracked_row=True)
    tracked.ok("pull", "dev", "--quiet")
    return tracked


_serial = iter(range(1, 10_000))


def edit(project: Project, cls: str, *, tracked_row: bool) -> bytes:
    """Change class `cls` in the org (a new comment); `tracked_row=False`: no SourceMember
    row for it (tracking switched off for the change, as a missed or untracked edit)."""
    org = project.orgs["dev"].server.org
    path = org.metadata_dir / "classes" / f"{cls}.cls"
    with org.lock:
        body = path.read_bytes() + f"\n// edit {next(_serial)}\n".encode()
        path.write_bytes(body)
        if not tracked_row:
            org.set_source_tracking(False)
        org.touch_components([f"ApexClass:{cls}"], org.admin)
        org.set_source_tracking(True)
        org.save()
    return body


def bump(project: Project) -> None:
    """A tracked change of another type (a trigger's date): the counter moves, and the
    incremental pull lists triggers, not classes."""
    org = project.orgs["dev"].server.org
    with org.lock:
        org.touch_components([TRIGGER], org.admin)
        org.save()


def snapshot_body(project: Project, cls: str) -> bytes | None:
    store = SnapshotStore(project.root)
    return store.read_file(store.head("dev"), f"classes/{cls}.cls")


def tracking_meta(project: Project) -> dict:
    store = SnapshotStore(project.root)
    return store.meta(store.head("dev"))["source_tracking"]


def source_members(project: Project) -> dict:
    return project.orgs["dev"].server.org._data.source_members


def full_pull_finds_nothing_new(project: Project) -> None:
    result = project.cli_json("pull", "dev", "--full")
    assert result["changed"] is False, "the incremental snapshots missed a change"


def test_an_edit_while_tracking_was_off_is_in_the_next_backup(dev):
    body = edit(dev, "InvoiceService", tracked_row=False)
    pulled = dev.cli_json("pull", "dev")
    assert pulled["cost"]["inventory"].startswith("source tracking")  # no row: not seen yet
    unverified = tracking_meta(dev).get("verified")
    backup = dev.cli_json("backup", "dev")
    assert snapshot_body(dev, "InvoiceService") == body
    assert unverified is False
    store = SnapshotStore(dev.root)
    assert store.meta(backup["commit"])["source_tracking"]["verified"] is True
    full_pull_finds_nothing_new(dev)


def test_a_change_with_no_row_is_found_by_the_verifying_pull(dev):
    body = edit(dev, "BillingCalloutService", tracked_row=False)
    bump(dev)  # the counter moves: tracking is in use
    kinds = []
    for _ in range(VERIFY_EVERY):  # pulls that change nothing count too (no commit of theirs)
        kinds.append(dev.cli_json("pull", "dev")["cost"]["inventory"])
        if "verifying" in kinds[-1]:
            break
    assert "verifying" in kinds[-1], kinds
    assert snapshot_body(dev, "BillingCalloutService") == body
    assert tracking_meta(dev)["verified"] is True
    full_pull_finds_nothing_new(dev)


def test_pulls_that_change_nothing_still_lead_to_a_verifying_pull(dev):
    kinds = [dev.cli_json("pull", "dev")["cost"]["inventory"] for _ in range(VERIFY_EVERY)]
    assert any("verifying" in k for k in kinds), kinds


def test_a_counter_reset_that_passes_the_recorded_value_lists_everything(dev):
    recorded = tracking_meta(dev)["revision"]
    assert recorded > 0
    members = source_members(dev)
    org = dev.orgs["dev"].server.org
    with org.lock:  # tracking reset: rows gone, the counter from zero
        members["rows"].clear()
        members["counter"] = 0
        org.save()
    hidden = edit(dev, "InvoiceService", tracked_row=True)  # counter 1: below the recorded
    with org.lock:
        members["counter"] = recorded + 3
        org.save()
    bump(dev)  # counter recorded + 4: past the recorded
    pulled = dev.cli_json("pull", "dev")
    assert snapshot_body(dev, "InvoiceService") == hidden
    assert "tracking was reset" in pulled["cost"]["inventory"], pulled["cost"]
    full_pull_finds_nothing_new(dev)


def test_lost_rows_with_the_last_pull_s_row_list_everything(dev):
    hidden = edit(dev, "InvoiceService", tracked_row=False)
    anchor = tracking_meta(dev).get("anchor")
    org = dev.orgs["dev"].server.org
    with org.lock:  # rows lost, the one the last pull ended at among them
        rows = source_members(dev)["rows"]
        for key in [k for k, r in rows.items() if r["Id"] == anchor][:1] + list(rows)[:2]:
            rows.pop(key, None)
        org.save()
    bump(dev)
    pulled = dev.cli_json("pull", "dev")
    assert snapshot_body(dev, "InvoiceService") == hidden
    assert "tracking was reset" in pulled["cost"]["inventory"], pulled["cost"]
    full_pull_finds_nothing_new(dev)


def test_lost_rows_below_the_last_pull_s_row_list_everything(dev):
    # CreatedDate has whole seconds, so the count reaches only rows made before the last
    # pull's second: let one pass, pull, and lose two rows made before that second
    org = dev.orgs["dev"].server.org
    with org.lock:  # two rows of their own, made before the pull below
        org.touch_components(["ApexClass:AccountScoringTest", "ApexClass:BillingCalloutService"],
                             org.admin)
        org.save()
    time.sleep(1.1)
    dev.ok("pull", "dev", "--full")  # verified: the next pull is incremental
    hidden = edit(dev, "InvoiceService", tracked_row=False)
    meta = tracking_meta(dev)
    anchor, counted_to = meta["anchor"], meta["counted_to"]
    with org.lock:
        rows = source_members(dev)["rows"]
        older = [k for k, r in rows.items()
                 if r["Id"] != anchor and str(r["CreatedDate"])[:19] < counted_to[:19]]
        assert len(older) >= 2, "the fixture made fewer than two rows before the last pull"
        for key in older[:2]:
            rows.pop(key)
        org.save()
    bump(dev)
    pulled = dev.cli_json("pull", "dev")
    assert "rows are missing" in pulled["cost"]["inventory"], pulled["cost"]
    assert snapshot_body(dev, "InvoiceService") == hidden


def test_a_report_moved_with_a_row_for_its_new_name_only_leaves_its_old_folder(dev):
    org = dev.orgs["dev"].server.org
    old, new = "Billing_Reports/Open_Invoices_by_Status", "Ops_Reports/Open_Invoices_by_Status"
    with org.lock:
        src = org.metadata_dir / "reports" / f"{old}.report"
        (org.metadata_dir / "reports" / f"{new}.report").write_bytes(src.read_bytes())
        src.unlink()
        org.touch_components([f"Report:{new}"], org.admin)  # the new name's row only
        org._data.components.pop(f"Report:{old}", None)
        org.save()
    dev.ok("pull", "dev", "--quiet")
    files = SnapshotStore(dev.root).files(SnapshotStore(dev.root).head("dev"))
    assert f"reports/{new}.report" in files
    assert f"reports/{old}.report" not in files, "the moved report is still in its old folder"
    full_pull_finds_nothing_new(dev)


@pytest.mark.xfail(strict=True, reason="known gap: CreatedDate has whole seconds, so a row made "
                   "later in the last pull's own second is counted next time and hides one lost "
                   "row; counting strictly before that second needs a second COUNT per pull")
def test_a_row_made_in_the_last_pull_s_second_does_not_hide_a_lost_one(dev):
    """Salesforce's CreatedDate has whole seconds: a row made later in the last pull's own
    second must not take the place of a lost older row in the count."""
    org = dev.orgs["dev"].server.org
    with org.lock:
        org.touch_components(["ApexClass:BillingCalloutServiceTest"], org.admin)
        org.save()
    time.sleep(1.1)
    dev.ok("pull", "dev", "--full")
    hidden = edit(dev, "InvoiceService", tracked_row=False)
    meta = tracking_meta(dev)
    with org.lock:
        rows = source_members(dev)["rows"]
        older = [k for k, r in rows.items()
                 if r["Id"] != meta["anchor"] and str(r["CreatedDate"])[:19] < meta["counted_to"][:19]]
        rows.pop(older[0])
        org.touch_components(["ApexClass:InvoiceReminderService"], org.admin)
        new = next(r for r in rows.values() if r["MemberName"] == "InvoiceReminderService")
        new["CreatedDate"] = meta["counted_to"][:19] + ".000Z"  # made in the pull's second
        org.save()
    pulled = dev.cli_json("pull", "dev")
    assert "rows are missing" in pulled["cost"]["inventory"], pulled["cost"]
    assert snapshot_body(dev, "InvoiceService") == hidden
