"""deploy / checkDeployStatus / cancelDeploy / deployRecentValidation through handle()."""

from __future__ import annotations

import pytest

from .md_support import Client_, Fault, folder_files, make_org, package, read_zip, xml, zeep_parse

NEW_CLASS = b"public class Bar {}\n"
CLASS_META = xml("ApexClass", "    <apiVersion>60.0</apiVersion>\n    <status>Active</status>")


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path))


def field_file(obj_body: str) -> bytes:
    return xml("CustomObject", obj_body)


REGION_255 = """    <fields>
        <fullName>Region__c</fullName>
        <label>Region</label>
        <length>255</length>
        <type>Text</type>
    </fields>"""


def test_deploy_new_class_creates_it_and_reports_success(client):
    result = client.deploy_done({"package.xml": package({"ApexClass": ["Bar"]}),
                                 "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META})
    assert (result.status, result.success, result.done) == ("Succeeded", True, True)
    assert (result.numberComponentsTotal, result.numberComponentsDeployed,
            result.numberComponentErrors) == (1, 1, 0)
    [ok] = result.details.componentSuccesses
    assert (ok.componentType, ok.fullName, ok.created, ok.changed) == ("ApexClass", "Bar", True, False)
    root = client.org.metadata_dir
    assert (root / "classes/Bar.cls").read_bytes() == NEW_CLASS
    props = client.org.component_props("ApexClass:Bar")
    assert props["lastModifiedByName"] == client.org.admin.name


def test_deploy_is_asynchronous(client):
    job_id = client.deploy({"package.xml": package({"ApexClass": ["Bar"]}),
                            "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META})
    first = client.check_deploy(job_id)
    assert (first.done, first.status) == (False, "InProgress")
    assert not (client.org.metadata_dir / "classes/Bar.cls").exists()
    assert client.check_deploy(job_id).done is True


def test_partial_object_file_merges_only_its_children_and_audits_the_change(client):
    result = client.deploy_done({"package.xml": package({"CustomField": ["Account.Region__c"]}),
                                 "objects/Account.object": field_file(REGION_255)})
    assert result.success, result.details.componentFailures
    data = (client.org.metadata_dir / "objects/Account.object").read_bytes()
    assert b"<length>255</length>" in data
    assert b"Tier__c" in data and b"Partner" in data and b"<sharingModel>Private" in data
    rows = client.org.audit_trail()
    assert any(r["Section"] == "Customize Accounts"
               and r["Display"] == "Changed Region field length from 80 to 255" for r in rows)


def test_deploy_then_retrieve_gives_the_same_content(client):
    files = {"package.xml": package({"ApexClass": ["Bar"], "Role": ["Ops"]}),
             "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META,
             "roles/Ops.role": xml("Role", "    <name>Ops</name>\n    <parentRole>CEO</parentRole>")}
    assert client.deploy_done(files).success
    got = read_zip(client.retrieve_done({"ApexClass": ["Bar"], "Role": ["Ops"]},
                                        single_package=True).zipFile)
    for path, data in files.items():
        if path != "package.xml":
            assert got[path] == data


def test_bundle_deploy_replaces_the_bundle_folder(client):
    files = {"package.xml": package({"LightningComponentBundle": ["hello"]}),
             "lwc/hello/hello.js": b"export default class X {}\n",
             "lwc/hello/hello.js-meta.xml": xml("LightningComponentBundle",
                                                "    <apiVersion>61.0</apiVersion>")}
    assert client.deploy_done(files).success
    root = client.org.metadata_dir
    assert not (root / "lwc/hello/hello.html").exists()
    assert (root / "lwc/hello/hello.js").read_bytes() == b"export default class X {}\n"


def failure(result):
    assert (result.status, result.success, result.done) == ("Failed", False, True)
    return {(f.componentType, f.fullName): f for f in result.details.componentFailures}


@pytest.mark.parametrize("files,where,problem", [
    ({"package.xml": package({"Role": ["Bad"]}), "roles/Bad.role": b"<Role><name>x</Role>"},
     ("Role", "Bad"), "Error parsing file"),
    ({"package.xml": package({"Widget": ["X"]})}, (None, "package.xml"),
     "Unknown type name 'Widget' specified in package.xml"),
    ({"package.xml": package({"ApexClass": ["Ghost"]})}, ("ApexClass", "Ghost"),
     "was not found in zipped directory"),
    ({"package.xml": package({"Report": ["Nowhere/R"]}),
      "reports/Nowhere/R.report": xml("Report", "    <name>R</name>")},
     ("Report", "Nowhere/R"), "Cannot find folder:Nowhere"),
    ({"package.xml": package({"CustomField": ["Ghost__c.F__c"]}),
      "objects/Ghost__c.object": field_file(REGION_255.replace("Region__c", "F__c"))},
     ("CustomField", "Ghost__c.F__c"), "named 'Ghost__c' cannot be found"),
    ({"package.xml": package({"Layout": ["Account-Account Layout"]}),
      "layouts/Account-Account Layout.layout": xml("Layout", """    <layoutSections>
        <layoutColumns>
            <layoutItems>
                <field>Nope__c</field>
            </layoutItems>
        </layoutColumns>
    </layoutSections>""")},
     ("Layout", "Account-Account Layout"), "no CustomField named Account.Nope__c found"),
    ({"package.xml": package({"Role": ["Ops"]}),
      "roles/Ops.role": xml("Role", "    <name>Ops</name>\n    <parentRole>Nobody</parentRole>")},
     ("Role", "Ops"), "In field: parentRole - no Role named Nobody found"),
    ({"package.xml": package({"SharingCriteriaRule": ["Account.R1"]}),
      "sharingRules/Account.sharingRules": xml("SharingRules", """    <sharingCriteriaRules>
        <fullName>R1</fullName>
        <accessLevel>Read</accessLevel>
        <label>R1</label>
        <sharedTo>
            <group>No_Group</group>
        </sharedTo>
    </sharingCriteriaRules>""")},
     ("SharingRules", "Account"), "In field: sharedTo - no Group named No_Group found"),
    ({"package.xml": package({}),
      "destructiveChanges.xml": package({"RecordType": ["Account.Partner"]})},
     ("RecordType", "Account.Partner"), "Cannot delete record type through API"),
    ({"package.xml": package({}),
      "destructiveChanges.xml": package({"CustomField": ["Account.Region__c"]})},
     ("CustomField", "Account.Region__c"), "referenced elsewhere in salesforce.com. : Layout"),
    ({"package.xml": package({}), "destructiveChanges.xml": package({"Role": ["CEO"]})},
     ("Role", "CEO"), "referenced elsewhere"),
])
def test_invalid_deploy_fails_and_changes_nothing(client, files, where, problem):
    before = folder_files(client.org.metadata_dir)
    audit_before = len(client.org.audit_trail())
    failures = failure(client.deploy_done(files))
    assert where in failures, failures
    assert problem in failures[where].problem
    assert failures[where].problemType == "Error"
    assert folder_files(client.org.metadata_dir) == before
    assert len(client.org.audit_trail()) == audit_before


def test_malformed_xml_failure_names_line_and_column(client):
    bad = b'<?xml version="1.0" encoding="UTF-8"?>\n<Role>\n    <name>x</nam>\n</Role>\n'
    failures = failure(client.deploy_done({"package.xml": package({"Role": ["Bad"]}),
                                           "roles/Bad.role": bad}))
    f = failures[("Role", "Bad")]
    assert (f.fileName, f.lineNumber) == ("roles/Bad.role", 3)
    assert f.columnNumber and f.columnNumber > 1


def test_valid_sharing_rule_and_role_deploy_together(client):
    files = {"package.xml": package({"Role": ["Ops"], "SharingCriteriaRule": ["Account.R1"]}),
             "roles/Ops.role": xml("Role", "    <name>Ops</name>\n    <parentRole>CEO</parentRole>"),
             "sharingRules/Account.sharingRules": xml("SharingRules", """    <sharingCriteriaRules>
        <fullName>R1</fullName>
        <accessLevel>Read</accessLevel>
        <label>R1</label>
        <sharedTo>
            <role>Ops</role>
        </sharedTo>
    </sharingCriteriaRules>""")}
    result = client.deploy_done(files)
    assert result.success, result.details.componentFailures
    data = (client.org.metadata_dir / "sharingRules/Account.sharingRules").read_bytes()
    assert b"Big_Accounts" in data and b"<fullName>R1</fullName>" in data


def test_check_only_validates_without_changing_anything(client):
    before = folder_files(client.org.metadata_dir)
    result = client.deploy_done({"package.xml": package({"ApexClass": ["Bar"]}),
                                 "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META},
                                checkOnly=True)
    assert (result.status, result.checkOnly) == ("Succeeded", True)
    assert folder_files(client.org.metadata_dir) == before


def test_destructive_changes_delete_components(client):
    result = client.deploy_done({"package.xml": package({}),
                                 "destructiveChangesPost.xml": package({"ApexClass": ["FooTest"],
                                                                        "CustomField": ["Account.Tier__c"]})},
                                purgeOnDelete=True)
    assert result.success, result.details.componentFailures
    deleted = {(s.componentType, s.fullName) for s in result.details.componentSuccesses if s.deleted}
    assert deleted == {("ApexClass", "FooTest"), ("CustomField", "Account.Tier__c")}
    root = client.org.metadata_dir
    assert not (root / "classes/FooTest.cls").exists()
    assert b"Tier__c" not in (root / "objects/Account.object").read_bytes()
    assert b"Region__c" in (root / "objects/Account.object").read_bytes()


def test_deleting_a_missing_component_is_a_warning_that_fails_unless_ignored(client):
    files = {"package.xml": package({}), "destructiveChanges.xml": package({"ApexClass": ["Nope"]})}
    failures = failure(client.deploy_done(files))
    assert failures[("ApexClass", "Nope")].problemType == "Warning"
    assert client.deploy_done(files, ignoreWarnings=True).status == "Succeeded"


def test_run_local_tests_counts_test_classes(client):
    result = client.deploy_done({"package.xml": package({"ApexClass": ["Bar"]}),
                                 "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META},
                                testLevel="RunLocalTests")
    assert (result.numberTestsTotal, result.numberTestsCompleted, result.runTestsEnabled) == (1, 1, True)
    assert [s.name for s in result.details.runTestResult.successes] == ["FooTest"]


def test_production_refuses_no_test_run_for_apex_synchronously(tmp_path):
    client = Client_(make_org(tmp_path, sandbox=False))
    with pytest.raises(Fault, match="INVALID_OPERATION: testLevel of NoTestRun cannot be used "
                                    "in production organizations"):
        client.deploy({"package.xml": package({"ApexClass": ["Bar"]}),
                       "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META},
                      testLevel="NoTestRun")


def test_production_accepts_no_test_run_without_apex(tmp_path):
    client = Client_(make_org(tmp_path, sandbox=False))
    result = client.deploy_done({"package.xml": package({"Role": ["CEO"]}),
                                 "roles/CEO.role": xml("Role", "    <name>Chief</name>")},
                                testLevel="NoTestRun")
    assert (result.status, result.numberTestsTotal) == ("Succeeded", 0)


def test_production_default_runs_no_tests_without_apex(tmp_path):
    client = Client_(make_org(tmp_path, sandbox=False))
    files = {"package.xml": package({"CustomField": ["Account.Region__c"]}),
             "objects/Account.object": field_file(REGION_255)}
    result = client.deploy_done(files)
    assert (result.status, result.numberTestsTotal, result.runTestsEnabled) == ("Succeeded", 0,
                                                                               False)


def test_production_default_runs_local_tests_with_apex(tmp_path):
    client = Client_(make_org(tmp_path, sandbox=False))
    result = client.deploy_done({"package.xml": package({"ApexClass": ["Bar"]}),
                                 "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META})
    assert (result.status, result.numberTestsTotal) == ("Succeeded", 1)
    assert [s.name for s in result.details.runTestResult.successes] == ["FooTest"]


def test_cancel_deploy_before_it_runs(client):
    job_id = client.deploy({"package.xml": package({"ApexClass": ["Bar"]}),
                            "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META})
    cancel = client.call("cancelDeploy", f"<met:String>{job_id}</met:String>")
    assert cancel.done is True and cancel.id == job_id
    result = client.check_deploy(job_id)
    assert (result.status, result.done, result.canceledByName) == ("Canceled", True,
                                                                   client.org.admin.name)
    assert not (client.org.metadata_dir / "classes/Bar.cls").exists()


def test_quick_deploy_of_a_recent_validation(client):
    files = {"package.xml": package({"ApexClass": ["Bar"]}),
             "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META}
    validation = client.deploy(files, checkOnly=True, testLevel="RunLocalTests")
    while not client.check_deploy(validation).done:
        pass
    new_id = client.call("deployRecentValidation", f"<met:validationId>{validation}</met:validationId>")
    assert isinstance(new_id, str) and new_id != validation
    while not (result := client.check_deploy(new_id)).done:
        pass
    assert result.success and result.checkOnly is False
    assert (client.org.metadata_dir / "classes/Bar.cls").read_bytes() == NEW_CLASS
    status, body = client.raw("deployRecentValidation",
                              f"<met:validationId>{validation}</met:validationId>")
    with pytest.raises(Fault) as err:
        zeep_parse("deployRecentValidation", status, body)
    assert "already been deployed" in err.value.message


def test_quick_deploy_refuses_a_deploy_that_was_not_a_validation(client):
    job = client.deploy({"package.xml": package({"ApexClass": ["Bar"]}),
                         "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META})
    while not client.check_deploy(job).done:
        pass
    status, body = client.raw("deployRecentValidation", f"<met:validationId>{job}</met:validationId>")
    assert status == 500
    with pytest.raises(Fault) as err:
        zeep_parse("deployRecentValidation", status, body)
    assert "can't be quick deployed" in err.value.message


def test_deploy_history_is_kept(client):
    client.deploy_done({"package.xml": package({"ApexClass": ["Bar"]}),
                        "classes/Bar.cls": NEW_CLASS, "classes/Bar.cls-meta.xml": CLASS_META})
    history = (client.org.data_dir / ".localorg" / "deploys.json").read_text()
    assert "ApexClass:Bar" in history and "Succeeded" in history


def test_pre_destructive_delete_and_add_in_the_same_object_file(client):
    result = client.deploy_done({
        "package.xml": package({"CustomField": ["Account.Region__c"]}),
        "objects/Account.object": field_file(REGION_255),
        "destructiveChanges.xml": package({"CustomField": ["Account.Tier__c"]})})
    assert result.success, result.details.componentFailures
    data = (client.org.metadata_dir / "objects/Account.object").read_bytes()
    assert b"Tier__c" not in data and b"<length>255</length>" in data
