"""Which types an incremental pull lists again when SourceMember says what changed."""

from __future__ import annotations

from sfenv.errors import OrgError
from sfenv.metadata.registry import default_registry
from sfenv.pull.tracking import latest_revision, types_to_relist

REGISTRY = default_registry()


def test_a_changed_field_lists_fields_and_objects_and_nothing_else_tracked():
    relist, why = types_to_relist(["CustomField"], REGISTRY)
    assert why == ""
    assert {"CustomField", "CustomObject"} <= relist
    assert "ApexClass" not in relist and "Layout" not in relist and "ValidationRule" not in relist


def test_untracked_and_always_refreshed_types_are_listed_every_time():
    relist, _ = types_to_relist([], REGISTRY)
    assert REGISTRY.source_untracked() <= relist
    assert REGISTRY.always_refreshed() <= relist
    assert "SharingRules" in relist  # sourceTracking false in the coverage report


def test_a_folder_and_its_contents_are_listed_together():
    relist, _ = types_to_relist(["ReportFolder"], REGISTRY)
    assert {"ReportFolder", "Report"} <= relist
    relist, _ = types_to_relist(["EmailTemplate"], REGISTRY)
    assert {"EmailFolder", "EmailTemplate"} <= relist


def test_settings_rows_name_their_own_type():
    relist, _ = types_to_relist(["AccountSettings"], REGISTRY)
    assert "Settings" in relist


def test_a_type_unknown_to_the_registry_lists_everything():
    relist, why = types_to_relist(["ApexClass", "SomethingNew"], REGISTRY)
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
