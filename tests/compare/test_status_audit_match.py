"""Audit rows attach to a component by section and its own label or API name as Salesforce
writes them, never because they share a word with it (issue 10: a drift row for
ValidationRule:Account.Region_Format listed every row mentioning "Account")."""

from __future__ import annotations

import pytest

from sfenv.core.compare.audit_match import label_of, matches, rows_about
from sfenv.core.metadata.ids import ComponentId

ROWS = [  # as the acme orgs' Setup Audit Trail holds them, newest first
    {"Section": "Customize Accounts", "Display": "Changed active flag for Region_Format "
     "validation rule on Account from true to false", "CreatedByName": "Priya Patel"},
    {"Section": "Customize Accounts", "Display": "Changed length of Region (Account) custom "
     "field from 80 to 120", "CreatedByName": "Priya Patel"},
    {"Section": "Customize Accounts", "Display": "Created custom field Customer Since (Date) "
     "on Account", "CreatedByName": "Jamal Wright"},
    {"Section": "Custom Objects", "Display": "Created custom field Payment Terms (Picklist) on "
     "Invoice", "CreatedByName": "Marcus Chen"},
    {"Section": "Custom Objects", "Display": "Changed Invoice Layout page layout for Invoice",
     "CreatedByName": "Marcus Chen"},
    {"Section": "Apex Class", "Display": "Deleted Apex class InvoicePdfLegacy",
     "CreatedByName": "Marcus Chen"},
    {"Section": "Sharing Defaults", "Display": "Changed Project organization-wide default from "
     "Private to Public Read Only", "CreatedByName": "Jamal Wright"},
    {"Section": "Deployment", "Display": "Deployed change set Account Region Release",
     "CreatedByName": "Lena Novak"},
]


def about(component: str, label: str | None = None) -> list[str]:
    return [r["Display"][:30] for r in rows_about(ROWS, ComponentId.parse(component), label)]


def test_a_validation_rule_gets_only_its_own_row_not_every_row_naming_its_object():
    assert about("ValidationRule:Account.Region_Format") == [ROWS[0]["Display"][:30]]


@pytest.mark.parametrize("component,label,row", [
    ("CustomField:Account.Region__c", "Region", 1),
    ("CustomField:Account.Customer_Since__c", "Customer Since", 2),
    ("CustomField:Invoice__c.Payment_Terms__c", "Payment Terms", 3),
    ("Layout:Invoice__c-Invoice Layout", None, 4),
    ("ApexClass:InvoicePdfLegacy", None, 5),
    ("CustomObject:Project__c", "Project", 6),
])
def test_each_component_gets_exactly_the_row_salesforce_wrote_about_it(component, label, row):
    assert about(component, label) == [ROWS[row]["Display"][:30]]


def test_the_object_gets_no_row_about_its_fields_and_unrelated_names_get_none():
    assert about("CustomObject:Account", "Account") == []
    assert about("CustomField:Account.Tier__c", "Tier") == []
    assert about("ApexClass:Invoice") == []  # InvoicePdfLegacy is another class


def test_a_row_in_another_section_does_not_attach():
    row = {"Section": "Deployment", "Display": "Deleted Apex class InvoicePdfLegacy"}
    assert not matches(row, ComponentId.parse("ApexClass:InvoicePdfLegacy"))


def test_label_is_read_from_the_components_own_xml():
    xml = (b'<fields xmlns="http://soap.sforce.com/2006/04/metadata"><fullName>Region__c'
           b'</fullName><label>Region</label></fields>')
    assert label_of(xml) == "Region" and label_of(b"public class X {}") is None


def test_a_permission_entry_takes_the_rows_of_what_it_grants():
    assert about("ProfileClassAccess:Admin/InvoicePdfLegacy") == [ROWS[5]["Display"][:30]]
    assert about("PermissionSetFieldPermission:Billing_Manager/Account.Customer_Since__c") == [
        ROWS[2]["Display"][:30]]
