import json

import pytest

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import NS

C = ComponentId


@pytest.mark.parametrize("path, expected", [
    ("objects/Account.object", C("CustomObject", "Account")),
    ("classes/Foo.cls", C("ApexClass", "Foo")),
    ("classes/Foo.cls-meta.xml", C("ApexClass", "Foo")),
    ("triggers/AccountTrigger.trigger-meta.xml", C("ApexTrigger", "AccountTrigger")),
    ("pages/RegionMap.page", C("ApexPage", "RegionMap")),
    ("components/Header.component", C("ApexComponent", "Header")),
    ("staticresources/jquery.resource", C("StaticResource", "jquery")),
    ("staticresources/jquery.resource-meta.xml", C("StaticResource", "jquery")),
    ("contentassets/logo.asset-meta.xml", C("ContentAsset", "logo")),
    ("lwc/myCmp/myCmp.js", C("LightningComponentBundle", "myCmp")),
    ("lwc/myCmp/__tests__/myCmp.test.js", C("LightningComponentBundle", "myCmp")),
    ("aura/Banner/Banner.cmp-meta.xml", C("AuraDefinitionBundle", "Banner")),
    ("reports/Sales/Pipeline.report", C("Report", "Sales/Pipeline")),
    ("reports/A/B/R.report", C("Report", "A/B/R")),
    ("reports/Sales.reportFolder-meta.xml", C("ReportFolder", "Sales")),
    ("reports/Sales-meta.xml", C("ReportFolder", "Sales")),
    ("reports/A/B-meta.xml", C("ReportFolder", "A/B")),
    ("dashboards/Exec/Board.dashboard", C("Dashboard", "Exec/Board")),
    ("documents/Shared/logo.png", C("Document", "Shared/logo.png")),
    ("documents/Shared/logo.png-meta.xml", C("Document", "Shared/logo.png")),
    ("documents/Shared-meta.xml", C("DocumentFolder", "Shared")),
    ("email/Sales/Welcome.email", C("EmailTemplate", "Sales/Welcome")),
    ("email/Sales/Welcome.email-meta.xml", C("EmailTemplate", "Sales/Welcome")),
    ("email/Sales-meta.xml", C("EmailFolder", "Sales")),
    ("settings/Sharing.settings", C("Settings", "Sharing")),
    ("labels/CustomLabels.labels", C("CustomLabels", "CustomLabels")),
    ("layouts/Account-Account Layout.layout", C("Layout", "Account-Account Layout")),
    ("customMetadata/Region.West.md", C("CustomMetadata", "Region.West")),
    ("workflows/Account.workflow", C("Workflow", "Account")),
    ("sharingRules/Case.sharingRules", C("SharingRules", "Case")),
    ("matchingRules/Account.matchingRule", C("MatchingRules", "Account")),
    ("assignmentRules/Case.assignmentRules", C("AssignmentRules", "Case")),
    ("wave/Sales.wdash", C("WaveDashboard", "Sales")),
    ("experiences/site1/config/site1.json", C("ExperienceBundle", "site1")),
])
def test_component_of_maps_mdapi_paths_for_every_strategy(registry, path, expected):
    assert registry.component_of(path) == expected


@pytest.mark.parametrize("path", ["package.xml", "destructiveChangesPost.xml", "unknowndir/x.y",
                                  "objects", "objects/"])
def test_component_of_ignores_files_that_are_not_components(registry, path):
    assert registry.component_of(path) is None


@pytest.mark.parametrize("cid, path", [
    (C("CustomObject", "Account"), "objects/Account.object"),
    (C("CustomField", "Account.Region__c"), "objects/Account.object"),
    (C("ValidationRule", "Account.Region_Required"), "objects/Account.object"),
    (C("CustomLabel", "Greeting"), "labels/CustomLabels.labels"),
    (C("WorkflowRule", "Account.West_Accounts"), "workflows/Account.workflow"),
    (C("SharingOwnerRule", "Case.Managers"), "sharingRules/Case.sharingRules"),
    (C("ApexClass", "Foo"), "classes/Foo.cls"),
    (C("Document", "Shared/logo.png"), "documents/Shared/logo.png"),
    (C("Report", "A/B/R"), "reports/A/B/R.report"),
    (C("ReportFolder", "Sales"), "reports/Sales-meta.xml"),
    (C("LightningComponentBundle", "myCmp"), "lwc/myCmp/myCmp.js-meta.xml"),
    (C("Settings", "Sharing"), "settings/Sharing.settings"),
])
def test_expected_path_of_new_components(registry, cid, path):
    assert registry.expected_path(cid) == path
    assert registry.component_of(path) == registry.parent_id(cid)


def test_file_paths_finds_content_meta_and_bundle_files(registry):
    existing = ["classes/Foo.cls", "classes/Foo.cls-meta.xml", "classes/FooTest.cls",
                "lwc/a/a.js", "lwc/a/a.html", "lwc/ab/ab.js", "objects/Account.object"]
    assert registry.file_paths(C("ApexClass", "Foo"), existing) == [
        "classes/Foo.cls", "classes/Foo.cls-meta.xml"]
    assert registry.file_paths(C("LightningComponentBundle", "a"), existing) == [
        "lwc/a/a.html", "lwc/a/a.js"]
    assert registry.file_paths(C("CustomField", "Account.X__c"), existing) == [
        "objects/Account.object"]


def test_child_types_know_their_parent_and_key(registry):
    parent, spec = registry.child("CustomField")
    assert (parent.name, spec.xml_element, spec.key_element) == ("CustomObject", "fields", "fullName")
    parent, spec = registry.child("CustomLabel")
    assert parent.name == "CustomLabels" and spec.qualified is False
    parent, spec = registry.child("WorkflowFieldUpdate")
    assert (parent.name, spec.xml_element) == ("Workflow", "fieldUpdates")
    assert registry.child("ApexClass") is None


def test_registry_types_carry_strategy_and_folder_facts(registry):
    assert registry.get("ApexClass").strategy == "content" and registry.get("ApexClass").meta_file
    assert registry.get("LightningComponentBundle").strategy == "bundle"
    assert registry.get("Report").folder_type == "ReportFolder" and registry.get("Report").in_folder
    assert registry.get("EmailTemplate").folder_type == "EmailFolder"
    assert registry.get("ReportFolder").strategy == "folder"
    assert registry.component_of("reports/Sales/Pipeline.report") == ComponentId("Report", "Sales/Pipeline")
    assert "fieldPermissions" in registry.get("Profile").unordered
    assert registry.get("Profile").sort_key_of("fieldPermissions") == "field"
    assert registry.find("NoSuchType") is None
    with pytest.raises(KeyError, match="NoSuchType"):
        registry.get("NoSuchType")
    assert all(t.parent is None for t in registry.all())


def test_default_registry_is_loaded_once():
    assert default_registry() is default_registry()


def test_registry_covers_every_type_of_salesforce_cli_registry(registry, shared_reference):
    sdr = json.loads((shared_reference / "sdr-metadataRegistry.json").read_text())
    for t in sdr["types"].values():
        if t.get("aliasFor"):
            continue
        ours = registry.get(t["name"])
        assert ours.directory == t["directoryName"], t["name"]
        assert ours.suffix == t.get("suffix"), t["name"]
        for child in (t.get("children") or {}).get("types", {}).values():
            if child.get("isAddressable") is not False and ours.strategy == "xml":
                assert registry.child(child["name"])[0].name == t["name"]


def test_registry_from_json_builds_a_custom_table():
    reg = Registry.from_json({"types": [{"name": "Thing", "directory": "things", "suffix": "thing"}]})
    assert reg.component_of("things/A.thing") == C("Thing", "A")


def test_every_profile_and_permission_set_list_and_child_type_has_identity_keys():
    reg = default_registry()
    for name in ("Profile", "PermissionSet", "MutingPermissionSet"):
        t = reg.get(name)
        keyed = {path for path, key in t.sort_keys if key and "/" not in path}
        assert {s.xml_element for s in t.sections} == keyed, name
        assert all(t.identity_of(e) for e in keyed), name
    for t in reg.types:
        for spec in t.children:
            assert t.identity_of(spec.xml_element) == (spec.key_element,)
    profile = reg.get("Profile")
    assert profile.identity_of("layoutAssignments") == ("layout", "recordType")
    assert profile.identity_of("loginIpRanges") == ("startAddress", "endAddress")
    assert profile.identity_of("profileActionOverrides")[:2] == ("actionName", "pageOrSobjectType")


def test_diff_rows_and_profile_merge_agree_on_what_one_entry_is():
    """Merging a profile keeps exactly the entries the diff shows as rows (one identity)."""
    from sfenv.core.compare.inventory import parts_of_file
    from sfenv.core.metadata.components import split_file
    from sfenv.core.metadata.profiles import merge_profiles

    body = "".join(
        f"    <loginIpRanges>\n        <endAddress>{end}</endAddress>\n"
        f"        <startAddress>10.0.0.0</startAddress>\n    </loginIpRanges>\n"
        for end in ("10.0.0.127", "10.0.0.255")) + "".join(
        f"    <profileActionOverrides>\n        <actionName>View</actionName>\n"
        f"        <content>P_{obj}</content>\n        <formFactor>Large</formFactor>\n"
        f"        <pageOrSobjectType>{obj}</pageOrSobjectType>\n        <type>Flexipage</type>\n"
        f"    </profileActionOverrides>\n" for obj in ("Account", "Contact"))
    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Profile xmlns="{NS}">\n{body}'
            f"    <custom>false</custom>\n</Profile>\n").encode()
    rows = parts_of_file("profiles/Admin.profile", data, default_registry(), split_file)[1:]
    merged = merge_profiles([data, data])
    assert len(rows) == 4
    assert merged.count(b"<loginIpRanges>") + merged.count(b"<profileActionOverrides>") == 4


def test_registry_answers_what_pull_release_and_checklist_hard_code_today():
    """The queries that replace PROFILE, ALWAYS_REFRESHED, CONTEXT_TYPES, DEPLOYED_WHOLE and
    the checklist's role literal give the values those constants hold."""
    reg = default_registry()
    assert [t.name for t in reg.retrieved_with_related()] == ["Profile"]
    assert {"CustomField", "ApexClass", "Layout", "RecordType"} <= set(reg.get("Profile").retrieved_with)
    assert reg.always_refreshed() == {"PermissionSet", "StandardValueSet"}
    assert set(reg.checklist_context_types()) == {"Role", "Group", "Queue"}
    assert reg.deployed_whole() == {"PermissionSet", "MutingPermissionSet"}
    assert (reg.hierarchy_type().name, reg.hierarchy_type().hierarchy_parent) == ("Role", "parentRole")
    assert reg.get("CustomField").id_prefix == "00N" and reg.get("Profile").id_prefix == "00e"


def test_children_of_object_named_files_know_their_object():
    reg = default_registry()
    assert reg.object_of_child(ComponentId("CustomField", "Account.Region__c")) == "Account"
    assert reg.object_of_child(ComponentId("WorkflowRule", "Case.Notify")) == "Case"
    assert reg.object_of_child(ComponentId("CustomLabel", "Greeting")) is None
    assert reg.object_of_child(ComponentId("ApexClass", "Foo")) is None


def test_every_child_of_an_object_says_what_audit_rows_call_it():
    """A child type added to CustomObject without audit words would get no audit rows in
    status: its rows are matched by the words the registry gives for it."""
    reg = default_registry()
    for spec in reg.get("CustomObject").children:
        match = reg.get(spec.type_name).audit_match
        assert match is not None and match.words, spec.type_name
        assert match.section_ok("Customize Accounts") and match.section_ok("Custom Objects")


def test_entry_rows_name_their_section_and_the_type_it_grants():
    reg = default_registry()
    owner, section = reg.section_entry("ProfileClassAccess")
    assert (owner.name, section.xml_element, section.grants) == ("Profile", "classAccesses", "ApexClass")
    assert reg.section_entry("PermissionSetTabSetting")[1].grants == "CustomTab"
    assert reg.section_entry("PermissionSetRecordTypeVisibility")[1].entry_kind == "RecordTypeVisibility"
    assert reg.section_entry("ApexClass") is None
    assert reg.object_and_own(ComponentId("Layout", "Account-Account Layout")) == ("Account", "Account Layout")
    assert reg.object_and_own(ComponentId("ApexClass", "A-B")) is None
