"""Which types an incremental pull lists again when SourceMember says what changed."""

from __future__ import annotations

from sfenv.core.metadata.registry import default_registry
from sfenv.errors import OrgError
from sfenv.services.pull.tracking import latest_revision, to_relist

REGISTRY = default_registry()


def test_a_changed_field_lists_fields_and_objects_and_nothing_else_tracked():
    relist, why = to_relist([("CustomField", "Account.Region__c")], REGISTRY)
    assert why == ""
    assert {"CustomField", "CustomObject"} <= relist.types
    assert not {"ApexClass", "Layout", "ValidationRule"} & relist.types


def test_untracked_and_always_refreshed_types_are_listed_every_time():
    relist, _ = to_relist([], REGISTRY)
    assert REGISTRY.source_untracked() <= relist.types
    assert REGISTRY.always_refreshed() <= relist.types
    assert "SharingRules" in relist.types  # sourceTracking false in the coverage report


def test_a_changed_report_lists_its_folder_only():
    relist, _ = to_relist([("Report", "Sales/Pipeline"), ("Report", "unfiled$public/Mine")],
                          REGISTRY)
    assert relist.folders["Report"] == {"Sales", "unfiled$public"}
    assert "ReportFolder" not in relist.types
    assert relist.lists("Report", "Sales/Other") and not relist.lists("Report", "Ops/Other")


def test_a_changed_folder_lists_every_folder_and_its_contents():
    relist, _ = to_relist([("ReportFolder", "Sales"), ("Report", "Sales/Pipeline")], REGISTRY)
    assert {"ReportFolder", "Report"} <= relist.types and "Report" not in relist.folders
    assert relist.lists("Report", "Ops/Other")


def test_settings_rows_name_their_own_type():
    relist, _ = to_relist([("AccountSettings", "Account")], REGISTRY)
    assert "Settings" in relist.types


def test_a_type_unknown_to_the_registry_lists_everything():
    relist, why = to_relist([("ApexClass", "A"), ("SomethingNew", "B")], REGISTRY)
    assert relist is None and "SomethingNew" in why


class _Org:
    def __init__(self, answer):
        self.answer = answer

    def query(self, soql, *, tooling=False):
        assert tooling and "FROM SourceMember" in soql
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_an_org_without_tracking_has_no_counter_and_other_errors_stop_the_pull():
    assert latest_revision(_Org(OrgError("no", code="INVALID_TYPE"))) is None
    assert latest_revision(_Org([])) == 0
    assert latest_revision(_Org([{"RevisionCounter": 41}])) == 41
    try:
        latest_revision(_Org(OrgError("limit", code="REQUEST_LIMIT_EXCEEDED")))
    except OrgError as err:
        assert err.code == "REQUEST_LIMIT_EXCEEDED"
    else:
        raise AssertionError("a request limit must not read as 'no tracking'")


def _meta(revision, scope="s", skipped=()):
    return {"source_tracking": {"revision": revision, "scope": scope}, "skipped": list(skipped)}


def test_source_tracking_is_used_only_when_the_last_snapshot_can_be_trusted_as_a_base():
    from sfenv.services.pull.tracking import since_when

    assert since_when(_meta(7), 9, "s", incremental=True) == (7, "")
    assert since_when(_meta(7), None, "s", incremental=True)[0] is None  # org stopped tracking
    assert since_when(_meta(7), 9, "s", incremental=False)[0] is None  # --full
    assert since_when({"skipped": []}, 9, "s", incremental=True)[0] is None  # no counter yet
    assert since_when(_meta(7, scope="t"), 9, "s", incremental=True)[0] is None  # manifest changed
    assert since_when(_meta(7, skipped=[{"component": "ApexClass:A"}]), 9, "s",
                      incremental=True)[0] is None  # a skipped member must be listed again
    assert since_when(_meta(12), 9, "s", incremental=True)[0] is None  # counter went back


def test_the_listing_scope_changes_with_the_manifest_and_the_filters():
    from sfenv.services.pull.tracking import listing_scope

    base = listing_scope({"*": ["*"]}, [], False)
    assert base == listing_scope({"*": ["*"]}, [], False)
    assert base != listing_scope({"ApexClass": ["*"]}, [], False)
    assert base != listing_scope({"*": ["*"]}, ["Report:*"], False)
    assert base != listing_scope({"*": ["*"]}, [], True)


def test_every_nth_pull_and_every_backup_list_everything():
    from sfenv.services.pull.tracking import since_when, verifying

    meta = {"source_tracking": {"revision": 7, "scope": "s", "unverified_pulls": 8}}
    assert since_when(meta, 9, "s", incremental=True, verify_every=10) == (7, "")
    since, why = since_when(meta, 9, "s", incremental=True, verify_every=10, unverified=9)
    assert since is None and "every 10 pulls" in why
    with verifying():
        since, why = since_when(meta, 9, "s", incremental=True, verify_every=10)
    assert since is None and "backup" in why
    assert since_when(meta, 9, "s", incremental=True, verify_every=10)[0] == 7  # block ended


def test_rows_that_do_not_reach_the_counter_list_everything():
    from sfenv.services.pull.tracking import changes_since

    rows = [{"MemberType": "ApexClass", "MemberName": "A", "RevisionCounter": 8}]
    assert changes_since(_Org(rows), 7, REGISTRY, latest=8).relist is not None
    gap = changes_since(_Org(rows), 7, REGISTRY, latest=12)
    assert gap.relist is None and "rows are missing" in gap.reason


def test_a_moved_report_names_its_new_leaf_for_the_old_folder_lookup():
    relist, _ = to_relist([("Report", "Ops/Pipeline")], REGISTRY)
    assert relist.folders["Report"] == {"Ops"} and relist.names["Report"] == {"Pipeline"}


def test_a_listing_with_a_moved_report_lists_the_old_folder_and_carries_nothing_of_it():
    from sfenv.services.pull.listing import _with_old_folders

    relist, _ = to_relist([("Report", "Ops/Pipeline")], REGISTRY)
    carried = {"Report:Sales/Pipeline": {}, "Report:Sales/Other": {}, "Report:Hr/X": {}}
    wider = _with_old_folders(relist, carried)
    assert wider.folders["Report"] == {"Ops", "Sales"}
    assert wider.lists("Report", "Sales/Other") and not wider.lists("Report", "Hr/X")


def test_one_change_reads_as_english():
    from sfenv.services.pull.tracking import _counted

    assert _counted(1, "change") == "1 change" and _counted(2, "change") == "2 changes"


class _TrackedOrg:
    """SourceMember rows in memory, answering the queries `plan_listing` makes (counted)."""

    org_id = "00D000000000001"

    def __init__(self, rows):
        self.rows = rows  # Id -> (RevisionCounter, CreatedDate, LastModifiedDate)
        self.calls: list[str] = []

    def _row(self, rid, member="A"):
        counter, created, modified = self.rows[rid]
        return {"Id": rid, "MemberType": "ApexClass", "MemberName": member,
                "RevisionCounter": counter, "CreatedDate": created, "LastModifiedDate": modified}

    def query(self, soql, *, tooling=False):
        self.calls.append(soql)
        ordered = sorted(self.rows, key=lambda rid: self.rows[rid][0])
        if "DESC LIMIT 1" in soql:
            return [self._row(ordered[-1])] if ordered else []
        since = int(soql.split("RevisionCounter > ")[1].split()[0])
        anchor = soql.split("Id = '")[1].split("'")[0] if "Id = '" in soql else None
        return [self._row(r) for r in ordered if self.rows[r][0] > since or r == anchor]

    def count(self, soql, *, tooling=False):
        self.calls.append(soql)
        second = soql.rsplit("<= ", 1)[1].strip()
        return sum(1 for _, created, _ in self.rows.values() if created[:19] + "Z" <= second)


def _plan(org, meta, incremental=True):
    from sfenv.services.pull.tracking import plan_listing

    return plan_listing(org, REGISTRY, {"*": ["*"]}, [], False, meta, incremental=incremental,
                        verify_every=0)


def _ids(n):
    return f"0MZ{n:015d}"


def test_a_row_lost_below_the_anchor_lists_everything_even_when_a_new_row_replaces_it():
    t = "2026-12-06T10:00:0{}.500Z"
    org = _TrackedOrg({_ids(1): (1, t.format(1), t.format(1)),
                       _ids(2): (2, t.format(2), t.format(2)),
                       _ids(3): (3, t.format(3), t.format(3))})
    first = _plan(org, None, incremental=False)
    assert first.recorded["rows"] == 3 and first.recorded["counted_to"] == "2026-12-06T10:00:04Z"
    meta = {"source_tracking": first.recorded, "skipped": []}

    org.rows[_ids(4)] = (4, t.format(6), t.format(6))  # a new change
    org.calls.clear()
    quiet = _plan(org, meta)
    assert quiet.relist is not None and quiet.how == "source tracking: 1 change"
    assert len(org.calls) == 3  # counter, count, rows above with the anchor: as before the count
    assert quiet.recorded["rows"] == 4  # carried forward by the new row's CreatedDate

    meta = {"source_tracking": quiet.recorded, "skipped": []}
    del org.rows[_ids(1)]  # lost below the anchor...
    org.rows[_ids(5)] = (5, t.format(8), t.format(8))  # ...and a new row: the total is equal
    lost = _plan(org, meta)
    assert lost.relist is None and "1 source-tracking row created before the last pull is " \
        "gone: rows are missing" in lost.how


def test_an_updated_row_is_no_lost_row():
    t = "2026-12-06T10:00:0{}.000Z"
    org = _TrackedOrg({_ids(1): (1, t.format(1), t.format(1)),
                       _ids(2): (2, t.format(2), t.format(2))})
    meta = {"source_tracking": _plan(org, None, incremental=False).recorded, "skipped": []}
    org.rows[_ids(1)] = (3, t.format(1), t.format(5))  # updated in place: counter and date move
    again = _plan(org, meta)
    assert again.relist is not None and again.recorded["rows"] == 2
