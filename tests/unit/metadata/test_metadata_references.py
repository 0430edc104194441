import pytest

from sfenv.core.metadata.components import Piece, split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.references import formula_fields, is_standard, references

C = ComponentId
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
NSA = 'xmlns="http://soap.sforce.com/2006/04/metadata"'


def _pieces(registry, fixtures, name, path):
    return {p.id: p for p in split_file(path, (fixtures / "roundtrip" / name).read_bytes(), registry)}


def _piece(cid, body, root):
    return Piece(cid, None, f"{HEAD}<{root} {NSA}>{body}</{root}>\n".encode())


@pytest.fixture
def account(registry, fixtures):
    return _pieces(registry, fixtures, "Account.object", "objects/Account.object")


def test_field_needs_its_object_and_lookup_target(account):
    assert references(account[C("CustomField", "Account.Region__c")]) == {C("CustomObject", "Account")}
    lookup = Piece(C("CustomField", "Contact.Partner__c"), C("CustomObject", "Contact"),
                   f"{HEAD}<fields {NSA}><fullName>Partner__c</fullName><referenceTo>Partner__c</referenceTo>"
                   "<type>MasterDetail</type></fields>\n".encode())
    assert references(lookup) == {C("CustomObject", "Contact"), C("CustomObject", "Partner__c")}


def test_formula_field_needs_the_fields_it_names(account):
    assert references(account[C("CustomField", "Account.Score__c")]) == {
        C("CustomObject", "Account"), C("CustomField", "Account.Region__c"),
        C("CustomField", "Account.Parent_Account__c"), C("CustomField", "Account.Rating__c")}


def test_formula_scan_skips_string_literals_and_globals():
    assert formula_fields('IF($User.Foo__c = "Bar__c", Baz__c, \'Qux__c\')', "Account") == {
        C("CustomField", "Account.Baz__c")}


def test_validation_rule_needs_fields_in_its_formula(account):
    assert references(account[C("ValidationRule", "Account.Region_Required")]) == {
        C("CustomObject", "Account"), C("CustomField", "Account.Region__c"),
        C("CustomField", "Account.Parent_Account__c")}


def test_record_type_needs_business_process_and_picklists(account):
    assert references(account[C("RecordType", "Account.Partner")]) == {
        C("CustomObject", "Account"), C("BusinessProcess", "Account.Partner_Process"),
        C("CustomField", "Account.Region__c")}


def test_other_object_children_need_their_object(account):
    assert references(account[C("WebLink", "Account.Open_Map")]) == {C("CustomObject", "Account")}


def test_layout_needs_its_object_and_fields():
    piece = _piece(C("Layout", "Account-Account Layout"),
                   "<layoutSections><layoutColumns><layoutItems><field>Name</field></layoutItems>"
                   "<layoutItems><field>Region__c</field></layoutItems></layoutColumns></layoutSections>",
                   "Layout")
    assert references(piece) == {C("CustomObject", "Account"), C("CustomField", "Account.Name"),
                                 C("CustomField", "Account.Region__c")}


def test_profile_and_permission_set_need_what_they_grant(fixtures):
    data = (fixtures / "canonical" / "from" / "profiles" / "Sales.profile").read_bytes()
    refs = references(Piece(C("Profile", "Sales"), None, data))
    assert {C("CustomField", "Account.Region__c"), C("CustomObject", "Account"), C("ApexClass", "Zeta"),
            C("ApexPage", "RegionMap"), C("CustomTab", "Region__c"), C("CustomApplication", "Sales_App"),
            C("RecordType", "Account.Partner"), C("Layout", "Account-Account Layout"),
            C("CustomObject", "Opportunity")} <= refs
    assert not any(r.type == "userPermissions" for r in refs)
    ps = _piece(C("PermissionSet", "Ops"), "<classAccesses><apexClass>Ops</apexClass><enabled>true</enabled>"
                "</classAccesses><tabSettings><tab>Region__c</tab><visibility>Visible</visibility></tabSettings>",
                "PermissionSet")
    assert references(ps) == {C("ApexClass", "Ops"), C("CustomTab", "Region__c")}


def test_sharing_rules_need_their_groups_roles_and_fields(registry, fixtures):
    rules = _pieces(registry, fixtures, "Case.sharingRules", "sharingRules/Case.sharingRules")
    assert references(rules[C("SharingCriteriaRule", "Case.Share_Escalated")]) == {
        C("CustomObject", "Case"), C("Group", "Support_Agents"), C("CustomField", "Case.IsEscalated")}
    assert references(rules[C("SharingOwnerRule", "Case.Managers_See_All")]) == {
        C("CustomObject", "Case"), C("Role", "SupportManager"), C("Role", "Agent")}


def test_queue_needs_member_groups_roles_and_objects(fixtures):
    data = (fixtures / "roundtrip" / "Support.queue").read_bytes()
    assert references(Piece(C("Queue", "Support"), None, data)) == {
        C("Group", "Support_Agents"), C("Role", "SupportManager"), C("CustomObject", "Case"),
        C("CustomObject", "Lead")}


def test_role_needs_its_parent_role():
    assert references(_piece(C("Role", "VP"), "<name>VP</name><parentRole>CEO</parentRole>", "Role")) == {
        C("Role", "CEO")}
    assert references(_piece(C("Role", "CEO"), "<name>CEO</name>", "Role")) == set()


def test_trigger_needs_the_object_named_in_its_body():
    piece = Piece(C("ApexTrigger", "RegionSync"), None, b"", (
        ("triggers/RegionSync.trigger", b"trigger RegionSync on Region__c (before insert) {}"),
        ("triggers/RegionSync.trigger-meta.xml", b"<ApexTrigger/>")))
    assert references(piece) == {C("CustomObject", "Region__c")}


def test_flow_needs_objects_and_fields_it_reads_and_writes():
    body = ("<recordLookups><name>Get</name><object>Account</object><filters><field>Region__c</field>"
            "<operator>EqualTo</operator></filters><queriedFields>Name</queriedFields></recordLookups>"
            "<recordUpdates><name>Upd</name><inputAssignments><field>Status__c</field></inputAssignments>"
            "<object>Case</object></recordUpdates>")
    assert references(_piece(C("Flow", "Sync"), body, "Flow")) == {
        C("CustomObject", "Account"), C("CustomField", "Account.Region__c"), C("CustomField", "Account.Name"),
        C("CustomObject", "Case"), C("CustomField", "Case.Status__c")}


def test_workflow_field_update_and_rule_references(registry, fixtures):
    wf = _pieces(registry, fixtures, "Account.workflow", "workflows/Account.workflow")
    assert references(wf[C("WorkflowFieldUpdate", "Account.Set_Region_West")]) == {
        C("CustomObject", "Account"), C("CustomField", "Account.Region__c")}
    assert C("WorkflowFieldUpdate", "Account.Set_Region_West") in references(
        wf[C("WorkflowRule", "Account.West_Accounts")])


@pytest.mark.parametrize("cid, standard", [
    (C("CustomObject", "Account"), True), (C("CustomObject", "Region__c"), False),
    (C("CustomObject", "Setting__mdt"), False), (C("CustomField", "Account.Name"), True),
    (C("CustomField", "Account.Region__c"), False), (C("CustomField", "Region__c.Name"), True),
    (C("CustomTab", "standard-Account"), True), (C("CustomTab", "Region__c"), False),
    (C("ApexClass", "Foo"), False),
])
def test_is_standard(cid, standard):
    assert is_standard(cid) is standard


def test_what_a_permission_set_grants_is_read_by_the_registry_it_is_given(registry):
    """The registry's `sections` fact decides, not the type's name."""
    from dataclasses import replace

    from sfenv.core.metadata.registry import Registry

    ps = _piece(C("PermissionSet", "Ops"), "<classAccesses><apexClass>Ops</apexClass>"
                "<enabled>true</enabled></classAccesses>", "PermissionSet")
    assert references(ps, registry) == {C("ApexClass", "Ops")}
    plain = Registry(tuple(replace(t, sections=()) if t.name == "PermissionSet" else t
                           for t in registry.types), registry.source)
    assert references(ps, plain) == set()
