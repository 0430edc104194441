"""Differences that already existed at a sync point keep their class: a promotion's sync point
says the train is in sync, not that a production hotfix went away; a human's sync point accepts
the differences, which are then counted and listed as accepted, never as drift."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from compare_helpers import Cfg, Env, account, field_xml, index, snap

from sfenv.core.compare.status import SYNC_FILE, path_status, sync_point, sync_ref
from sfenv.services.records import sync_points
from sfenv.services.records.sync_points import record_sync_point
from sfenv.views.status import status_json, status_markdown, status_text

QA_DATE, HOTFIX_DATE = "2026-10-01T00:00:00.000Z", "2026-10-20T08:00:00.000Z"


def org(fields: dict[str, int], who: dict[str, tuple[str, str]]) -> dict[str, bytes]:
    body = "\n".join(field_xml(n, ln) for n, ln in fields.items())
    return {"objects/Account.object": account(body), ".sfenv/components.json": index(
        {f"CustomField:Account.{n}": who.get(n, ("Quinn QA", QA_DATE)) for n in fields})}


@pytest.fixture()
def cfg(tmp_path):
    return Cfg(tmp_path, {"qa": Env("qa"), "prod": Env("prod", production=True)},
               [["qa"], ["prod"]])


@pytest.fixture()
def clock(monkeypatch):
    """Sync points recorded one day apart, so "since before" can tell them apart."""
    days = iter(range(1, 30))

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, next(days), 9, 0, tzinfo=UTC)

    monkeypatch.setattr(sync_points, "datetime", Clock)


HOTFIX = {"B__c": ("Pat Prod", HOTFIX_DATE)}


def hotfixed_prod(store) -> None:
    """qa holds a release (A__c 20) not in prod; prod holds a hotfix (B__c 12) by Pat Prod."""
    snap(store, "qa", org({"A__c": 20, "B__c": 10}, {}))
    snap(store, "prod", org({"A__c": 10, "B__c": 12}, {"A__c": ("Old", "2026-01-01T00:00:00Z"),
                                                         **HOTFIX}))


def promote(store, extra: dict[str, int] | None = None, **kwargs) -> str:
    """A train brings qa's A__c (and `extra` fields) to prod; the hotfix stays."""
    fields = {"A__c": 20, "B__c": 12, **(extra or {})}
    qa = snap(store, "qa", org({"A__c": 20, "B__c": 10, **(extra or {})}, {}))
    prod = snap(store, "prod", org(fields, HOTFIX))
    record_sync_point(store, "qa", "prod", qa, prod, "release R1", by="release bot", **kwargs)
    return prod


def by_component(entries) -> dict[str, object]:
    return {str(e.change.component): e for e in entries}


def test_hotfix_stays_drift_by_its_author_after_a_promotion_records_a_sync_point(
        store, registry, cfg, clock):
    hotfixed_prod(store)
    before = path_status(store, cfg, ("qa", "prod"), registry=registry)
    assert {str(e.change.component): e.status for e in before.entries} == {
        "CustomField:Account.A__c": "pending", "CustomField:Account.B__c": "drift"}
    promote(store)
    hop = path_status(store, cfg, ("qa", "prod"), registry=registry)
    assert hop.mode == "three-way" and hop.known_differences == 1 and hop.accepted == []
    (entry,) = hop.entries  # A__c went with the train; the hotfix is still there
    assert str(entry.change.component) == "CustomField:Account.B__c"
    assert entry.status == "drift" and entry.outside_release
    assert entry.since_before == "2026-11-01T09:00:00+00:00"
    assert f"outside the release process in prod by Pat Prod on {HOTFIX_DATE}" in entry.reason
    assert [str(e) for e in entry.change.elements] == ["length 12 → 10"]  # promoting undoes it
    text = status_text([hop])
    assert "0 pending, 1 drift, 0 conflict [since sync point of 2026-11-01 09:00 UTC]" in text
    assert "CustomField:Account.B__c  (since before 2026-11-01 09:00 UTC)" in text
    assert "(since before 2026-11-01 09:00 UTC)" in status_markdown([hop])
    doc = status_json([hop])
    assert doc["totals"] == {"pending": 0, "drift": 1, "conflict": 0, "accepted": 0}
    (row,) = doc["hops"][0]["entries"]
    assert row["since_before"] == "2026-11-01T09:00:00+00:00" and row["accepted"] is None


def test_carried_drift_survives_later_promotions_and_keeps_its_first_date(
        store, registry, cfg, clock):
    hotfixed_prod(store)
    promote(store)
    promote(store, {"C__c": 5})  # a second train, other components
    hop = path_status(store, cfg, ("qa", "prod"), registry=registry)
    (entry,) = hop.entries
    assert (str(entry.change.component), entry.status) == ("CustomField:Account.B__c", "drift")
    assert entry.since_before == "2026-11-01T09:00:00+00:00"  # the first sync point it crossed
    assert sync_point(store, "qa", "prod")["when"] == "2026-11-02T09:00:00+00:00"
    assert "by Pat Prod" in entry.reason


def test_a_carried_difference_changed_again_is_classified_three_way(store, registry, cfg):
    hotfixed_prod(store)
    promote(store)
    snap(store, "prod", org({"A__c": 20, "B__c": 14}, HOTFIX))  # prod edits its hotfix again
    (entry,) = path_status(store, cfg, ("qa", "prod"), registry=registry).entries
    assert entry.status == "drift" and entry.since_before is None
    assert f"changed in prod by Pat Prod on {HOTFIX_DATE} since the sync point" in entry.reason


def test_upstream_change_to_a_component_with_an_unreconciled_hotfix_is_a_conflict(
        store, registry, cfg):
    """Three-way alone would call it pending (only qa changed it since the base), hiding that
    promoting qa overwrites prod's hotfix."""
    hotfixed_prod(store)
    promote(store)
    snap(store, "qa", org({"A__c": 20, "B__c": 11}, {}))
    (entry,) = path_status(store, cfg, ("qa", "prod"), registry=registry).entries
    assert entry.status == "conflict" and entry.outside_release
    assert f"changed in qa by Quinn QA on {QA_DATE} since the sync point" in entry.reason
    assert "drift before: changed in prod by Pat Prod" in entry.reason


def test_a_train_that_brings_the_hotfix_upstream_clears_the_drift(store, registry, cfg):
    hotfixed_prod(store)
    promote(store)
    snap(store, "qa", org({"A__c": 20, "B__c": 12}, {}))
    hop = path_status(store, cfg, ("qa", "prod"), registry=registry)
    assert hop.entries == [] and hop.accepted == [] and hop.known_differences == 0


def test_manual_sync_point_accepts_differences_listed_as_accepted_not_drift(
        store, registry, cfg, clock):
    hotfixed_prod(store)
    record_sync_point(store, "qa", "prod", store.head("qa"), store.head("prod"),
                      "prod's region length is intended", by="Rita Release", accept=True)
    hop = path_status(store, cfg, ("qa", "prod"), registry=registry)
    assert hop.entries == [] and hop.known_differences == 2
    accepted = by_component(hop.accepted)
    assert {c: e.status for c, e in accepted.items()} == {  # the class each had when accepted
        "CustomField:Account.A__c": "pending", "CustomField:Account.B__c": "drift"}
    assert accepted["CustomField:Account.B__c"].accepted == {
        "when": "2026-11-01T09:00:00+00:00", "by": "Rita Release",
        "reason": "prod's region length is intended"}
    doc = status_json([hop])
    (h,) = doc["hops"]
    assert h["counts"] == {"pending": 0, "drift": 0, "conflict": 0, "accepted": 2}
    assert h["base"]["kind"] == "accepted" and h["base"]["by"] == "Rita Release"
    assert {r["component"] for r in h["accepted"]} == set(accepted) and h["entries"] == []
    text = status_text([hop])
    assert "0 pending, 0 drift, 0 conflict, 2 accepted" in text
    assert "2 accepted differences not shown" in text and "accepted CustomField" not in text
    verbose = status_text([hop], show_accepted=True)
    assert "accepted CustomField:Account.B__c  (was drift; " in verbose
    assert "accepted by Rita Release" in verbose
    assert "accepted (was drift)" in status_markdown([hop], show_accepted=True)


def test_accepted_differences_stay_accepted_across_a_later_promotion(store, registry, cfg):
    hotfixed_prod(store)
    record_sync_point(store, "qa", "prod", store.head("qa"), store.head("prod"), "ok",
                      accept=True)
    promote(store, {"C__c": 5})  # the train also brings A__c: it no longer differs
    hop = path_status(store, cfg, ("qa", "prod"), registry=registry)
    assert hop.entries == []
    (entry,) = hop.accepted
    assert (str(entry.change.component), entry.status) == ("CustomField:Account.B__c", "drift")
    assert entry.accepted and entry.accepted["reason"] == "ok"


def test_sync_point_recorded_without_classes_falls_back_to_dates_never_drops(
        store, registry, cfg):
    """A record written before classes were kept: differences present at its base are
    attributed two-way (here, the hotfix by its newer date), not hidden."""
    hotfixed_prod(store)
    qa, prod = store.head("qa"), store.head("prod")
    old = (f'{{"a_commit": "{qa}", "b_commit": "{prod}", "when": "2026-11-05T10:00:00+00:00", '
           f'"by": "x", "reason": "", "source": "qa", "target": "prod"}}\n').encode()
    store.write_ref_commit(sync_ref("qa", "prod"), {SYNC_FILE: old}, "old record",
                           expected_old=None)
    hop = path_status(store, cfg, ("qa", "prod"), registry=registry)
    assert hop.known_differences == 2 and hop.accepted == []
    entries = by_component(hop.entries)
    assert {c: e.status for c, e in entries.items()} == {
        "CustomField:Account.A__c": "pending", "CustomField:Account.B__c": "drift"}
    drift = entries["CustomField:Account.B__c"]
    assert drift.since_before == "2026-11-05T10:00:00+00:00" and drift.outside_release
    assert "no class recorded" in drift.reason and "by Pat Prod" in drift.reason
