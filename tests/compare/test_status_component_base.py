"""Each component of a hop has its own base: the pair of snapshots both sides last agreed on it.
A promotion moves the base only of the components it left equal, so a hotfix made after one
promotion stays drift across the next, and an upstream edit of it is a conflict naming both
authors and both element changes; a deletion upstream of an agreed component is pending."""

from __future__ import annotations

import pytest
from compare_helpers import Cfg, Env, account, field_xml, index, snap

from sfenv.core.compare.status import component_base, path_status, sync_point
from sfenv.services.records.sync_points import record_sync_point

DAY1, DAY2, DAY3 = "2026-10-01T00:00:00.000Z", "2026-10-05T00:00:00.000Z", "2026-10-09T00:00:00.000Z"


def org(fields: dict[str, tuple[int, str]], who: dict[str, tuple[str, str]]) -> dict[str, bytes]:
    body = "\n".join(field_xml(n, ln, label) for n, (ln, label) in fields.items())
    return {"objects/Account.object": account(body), ".sfenv/components.json": index(
        {f"CustomField:Account.{n}": who.get(n, ("Quinn QA", DAY1)) for n in fields})}


@pytest.fixture()
def cfg(tmp_path):
    return Cfg(tmp_path, {"qa": Env("qa"), "prod": Env("prod", production=True)},
               [["qa"], ["prod"]])


def classes(store, cfg, registry) -> dict[str, str]:
    hop = path_status(store, cfg, ("qa", "prod"), registry=registry)
    return {str(e.change.component): e.status for e in hop.entries}


def agreed(store) -> None:
    """qa and prod agree on Region__c and Tier__c (a promotion recorded the pair)."""
    fields = {"Region__c": (80, "Region"), "Tier__c": (10, "Tier")}
    qa, prod = snap(store, "qa", org(fields, {})), snap(store, "prod", org(fields, {}))
    record_sync_point(store, "qa", "prod", qa, prod, "release R1", by="bot")


def test_hotfix_after_a_promotion_stays_drift_across_the_next_and_conflicts_when_edited_upstream(
        store, registry, cfg):
    agreed(store)
    hotfix = {"Region__c": ("Priya Patel", DAY2)}
    snap(store, "prod", org({"Region__c": (120, "Region"), "Tier__c": (10, "Tier")}, hotfix))
    # a second train brings Tier__c 20 to prod; the hotfix on Region__c is not carried
    qa = snap(store, "qa", org({"Region__c": (80, "Region"), "Tier__c": (20, "Tier")}, {}))
    prod = snap(store, "prod", org({"Region__c": (120, "Region"), "Tier__c": (20, "Tier")}, hotfix))
    record_sync_point(store, "qa", "prod", qa, prod, "release R2", by="bot")
    assert component_base(sync_point(store, "qa", "prod"), "CustomField:Account.Region__c")[
        "a_commit"] != qa  # Region__c keeps the pair of R1, where both sides agreed
    assert classes(store, cfg, registry) == {"CustomField:Account.Region__c": "drift"}

    # uat-like edit upstream of another element of the same field: both sides changed it
    snap(store, "qa", org({"Region__c": (80, "Sales Region"), "Tier__c": (20, "Tier")},
                          {"Region__c": ("Dana Dev", DAY3)}))
    (entry,) = path_status(store, cfg, ("qa", "prod"), registry=registry).entries
    assert entry.status == "conflict"
    assert "qa by Dana Dev" in entry.reason and "label Region → Sales Region" in entry.reason
    assert "prod by Priya Patel" in entry.reason and "length 80 → 120" in entry.reason
    assert entry.source_change is not None and entry.target_change is not None


def test_deleting_an_agreed_component_upstream_is_pending_not_drift(store, registry, cfg):
    agreed(store)
    snap(store, "qa", org({"Region__c": (80, "Region")}, {}))
    assert classes(store, cfg, registry) == {"CustomField:Account.Tier__c": "pending"}


def test_adding_a_component_in_prod_after_the_base_is_drift(store, registry, cfg):
    agreed(store)
    snap(store, "prod", org({"Region__c": (80, "Region"), "Tier__c": (10, "Tier"),
                             "Hot__c": (5, "Hot")}, {}))
    assert classes(store, cfg, registry) == {"CustomField:Account.Hot__c": "drift"}
