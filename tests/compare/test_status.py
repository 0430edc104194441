"""Path status per hop: pending, drift and conflict, with and without a recorded base."""

from __future__ import annotations

import json

from compare_helpers import Cfg, Env, account, field_xml, index, snap

from sfenv.core.compare.filters import ComponentFilter, IgnoreRules
from sfenv.core.compare.status import all_status, path_status, sync_point
from sfenv.services.records.sync_points import record_sync_point


def obj(*fields: tuple[str, int]) -> dict[str, bytes]:
    return {"objects/Account.object": account("\n".join(field_xml(n, ln) for n, ln in fields))}


def statuses(hop) -> dict[str, str]:
    return {str(e.change.component): e.status for e in hop.entries}


def test_three_way_status_from_the_recorded_sync_point(store, registry, tmp_path):
    cfg = Cfg(tmp_path, {"dev": Env("dev"), "qa": Env("qa")}, [["dev"], ["qa"]])
    base = obj(("A__c", 10), ("B__c", 10), ("C__c", 10), ("D__c", 10))
    a0, b0 = snap(store, "dev", base), snap(store, "qa", base)
    record_sync_point(store, "dev", "qa", a0, b0, "after R1", by="tester")
    assert sync_point(store, "dev", "qa")["reason"] == "after R1"
    snap(store, "dev", obj(("A__c", 20), ("B__c", 10), ("C__c", 30), ("D__c", 40)))
    snap(store, "qa", obj(("A__c", 10), ("B__c", 25), ("C__c", 35), ("D__c", 40)))
    hop = path_status(store, cfg, ("dev", "qa"), registry=registry)
    assert hop.mode == "three-way" and hop.base == (a0, b0)
    assert statuses(hop) == {
        "CustomField:Account.A__c": "pending",
        "CustomField:Account.B__c": "drift",
        "CustomField:Account.C__c": "conflict",
    }  # D__c changed identically on both sides: nothing to do
    pending = hop.of("pending")[0]
    assert [str(e) for e in pending.change.elements] == ["length 10 → 20"]  # what promotion does
    assert pending.source_change is not None and pending.target_change is None
    assert "changed in dev since the sync point" in pending.reason


def test_two_way_status_attributes_by_dates_and_flags_production_drift(store, registry, tmp_path):
    cfg = Cfg(tmp_path, {"qa": Env("qa"), "prod": Env("prod", production=True)},
              [["qa"], ["prod"]])
    snap(store, "qa", {**obj(("A__c", 10), ("B__c", 10)), ".sfenv/components.json": index({
        "CustomObject:Account": ("Quinn QA", "2026-10-01T00:00:00.000Z")})})
    audit = [{"Id": "0Ym1", "CreatedDate": "2026-10-20T08:00:00.000Z", "CreatedByName": "Pat Prod",
              "Action": "changedFieldLength", "Section": "Customize Accounts",
              "Display": "Changed length of Account custom field B from 10 to 12"},
             {"Id": "0Ym2", "CreatedDate": "2026-10-19T08:00:00.000Z", "CreatedByName": "Pat Prod",
              "Action": "loginAs", "Section": "Manage Users", "Display": "Logged in as someone"}]
    snap(store, "prod", {**obj(("A__c", 10), ("B__c", 12)), ".sfenv/audit-trail.json":
                         json.dumps(audit).encode(), ".sfenv/components.json": index({
                             "CustomObject:Account": ("Pat Prod", "2026-10-20T08:00:00.000Z")})})
    (hop,) = all_status(store, cfg, registry=registry)
    assert hop.mode == "two-way" and hop.base is None and hop.target_is_production
    (entry,) = hop.entries
    assert entry.status == "drift" and entry.outside_release
    assert "outside the release process in prod by Pat Prod on 2026-10-20" in entry.reason
    assert [r["Id"] for r in entry.audit] == ["0Ym1"]


def test_status_without_a_snapshot_says_what_to_pull(store, registry, tmp_path):
    cfg = Cfg(tmp_path, {"dev": Env("dev"), "qa": Env("qa")}, [["dev"], ["qa"]])
    snap(store, "dev", obj(("A__c", 10)))
    hop = path_status(store, cfg, ("dev", "qa"), registry=registry)
    assert hop.mode == "no-snapshot" and "sfenv pull qa" in hop.note


def test_sfenvignore_hides_components_and_children_with_reinclude(store, registry, tmp_path):
    cfg = Cfg(tmp_path, {"dev": Env("dev"), "qa": Env("qa")}, [["dev"], ["qa"]])
    snap(store, "dev", {**obj(("A__c", 10), ("Legacy_1__c", 10), ("Legacy_2__c", 10)),
                        "objects/Old__c.object": account(field_xml("X__c"))})
    snap(store, "qa", obj(("A__c", 11), ("Legacy_1__c", 11), ("Legacy_2__c", 11)))
    rules = IgnoreRules.parse("# noise\nCustomField:Account.Legacy_*\n"
                              "!CustomField:Account.Legacy_2__c\nCustomObject:Old__c\n")
    hop = path_status(store, cfg, ("dev", "qa"), registry=registry,
                      filters=ComponentFilter(ignore=rules))
    assert set(statuses(hop)) == {"CustomField:Account.A__c", "CustomField:Account.Legacy_2__c"}
    only_fields = ComponentFilter(types=("CustomField",), names=("Account.A*",))
    hop = path_status(store, cfg, ("dev", "qa"), registry=registry, filters=only_fields)
    assert set(statuses(hop)) == {"CustomField:Account.A__c"}
