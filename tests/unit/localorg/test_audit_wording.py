"""Audit rows of hand changes and of deploys come from one wording table (the registry)."""

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import default_registry
from sfenv.localorg.mdapi.audit import audit_section, plural

C = ComponentId


def test_hand_changes_are_logged_under_setups_sections():
    reg = default_registry()
    assert audit_section(C("CustomField", "Opportunity.Stage__c"), reg) == "Customize Opportunities"
    assert audit_section(C("ValidationRule", "Account.Check"), reg) == "Customize Accounts"
    assert audit_section(C("CustomField", "Invoice__c.Total__c"), reg) == "Custom Objects"
    assert audit_section(C("ApexClass", "Foo"), reg) == "Apex Class"
    assert audit_section(C("Flow", "Lead_Intake"), reg) == "Flows"
    assert audit_section(C("PermissionSet", "Sales_Ops"), reg) == "Manage Users"
    assert audit_section(C("Layout", "Account-Account Layout"), reg) == "Customize Accounts"
    assert audit_section(C("CustomTab", "Invoice__c"), reg) == "Customize"


def test_custom_object_plurals_read_as_setup_writes_them():
    assert plural("Opportunity") == "Opportunities"
    assert plural("Region_Setting__c") == "Region Setting (custom object)"
