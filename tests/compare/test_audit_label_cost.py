"""A component's label is read (its XML parsed) only when an audit row could use it: a plan of
235,000 items against an org with an empty or unrelated trail parsed every item for nothing
(36 s of a 60k plan). Skipping it must never change which rows attach (issue 24)."""

from __future__ import annotations

import itertools

import pytest
from test_status_audit_match import ROWS

from sfenv.core.compare import status
from sfenv.core.compare.audit_match import label_used, rows_about
from sfenv.core.compare.model import Change
from sfenv.core.metadata.ids import ComponentId

COMPONENTS = [
    "ValidationRule:Account.Region_Format", "CustomField:Account.Region__c",
    "CustomField:Account.Customer_Since__c", "CustomField:Invoice__c.Payment_Terms__c",
    "Layout:Invoice__c-Invoice Layout", "ApexClass:InvoicePdfLegacy", "CustomObject:Project__c",
    "CustomObject:Account", "ProfileClassAccess:Admin/InvoicePdfLegacy",
    "PermissionSetFieldPermission:Billing_Manager/Account.Customer_Since__c", "ApexPage:Region",
]
LABELS = ["Region", "Customer Since", "Payment Terms", "Project", "Account", "Invoice Layout"]
REGION = (b'<fields xmlns="http://soap.sforce.com/2006/04/metadata"><fullName>Region__c'
          b'</fullName><label>Region</label></fields>')


@pytest.mark.parametrize("component", COMPONENTS)
def test_a_label_skipped_would_have_changed_no_row(component):
    """Wherever `label_used` says no, every label gives the rows no label gives."""
    cid = ComponentId.parse(component)
    for rows in (ROWS, *([r] for r in ROWS), *itertools.combinations(ROWS, 2)):
        rows = list(rows)
        if label_used(rows, cid):
            continue
        for label in LABELS:
            assert rows_about(rows, cid, label) == rows_about(rows, cid, None), (rows, label)


def test_an_empty_or_unrelated_trail_never_parses_the_component(monkeypatch):
    def refuse(xml):
        raise AssertionError("the label was read")

    monkeypatch.setattr(status, "label_of", refuse)
    change = Change(ComponentId.parse("CustomField:Account.Region__c"), "added",
                    new_xml=REGION)
    assert status._audit_of([], change) == []
    unrelated = [r for r in ROWS if r["Section"] in ("Apex Class", "Deployment")]
    assert status._audit_of(unrelated, change) == []


def test_a_row_in_the_types_section_still_attaches_by_the_label_read_from_the_xml():
    change = Change(ComponentId.parse("CustomField:Account.Region__c"), "modified",
                    old_xml=REGION, new_xml=REGION)
    assert [r["Display"][:30] for r in status._audit_of(ROWS, change)] == [
        ROWS[1]["Display"][:30]]  # "Changed length of Region (Account) custom field ..."
