"""A deploy whose permission set or profile grants a component the org does not have fails as
on Salesforce ("In field: apexClass - no ApexClass named X found"), so a package carrying a
whole permission set into an org that lacks one of its classes cannot pass unnoticed
(issue 22 item 5)."""

from __future__ import annotations

import pytest

from .md_support import Client_, folder_files, make_org, package, xml


@pytest.fixture()
def client(tmp_path):
    return Client_(make_org(tmp_path))


def permset(body: str) -> bytes:
    return xml("PermissionSet", f"    <label>Ops</label>\n{body}")


CLASS = """    <classAccesses>
        <apexClass>{name}</apexClass>
        <enabled>true</enabled>
    </classAccesses>"""
FIELD = """    <fieldPermissions>
        <editable>true</editable>
        <field>{name}</field>
        <readable>true</readable>
    </fieldPermissions>"""


@pytest.mark.parametrize("body,problem", [
    (CLASS.format(name="Ghost"), "In field: apexClass - no ApexClass named Ghost found"),
    (FIELD.format(name="Account.Nope__c"),
     "In field: field - no CustomField named Account.Nope__c found"),
])
def test_a_permission_set_granting_a_missing_component_fails_and_changes_nothing(
        client, body, problem):
    before = folder_files(client.org.metadata_dir)
    result = client.deploy_done({"package.xml": package({"PermissionSet": ["Ops"]}),
                                 "permissionsets/Ops.permissionset": permset(body)})
    assert (result.status, result.success) == ("Failed", False)
    failures = {(f.componentType, f.fullName): f.problem
                for f in result.details.componentFailures}
    assert failures == {("PermissionSet", "Ops"): problem}
    assert folder_files(client.org.metadata_dir) == before


def test_grants_of_existing_standard_or_deployed_components_pass(client):
    body = "\n".join([CLASS.format(name="Foo"), CLASS.format(name="Bar"),
                      FIELD.format(name="Account.Region__c"), FIELD.format(name="Account.Name")])
    result = client.deploy_done({
        "package.xml": package({"PermissionSet": ["Ops"], "ApexClass": ["Bar"]}),
        "classes/Bar.cls": b"public class Bar {}\n",
        "classes/Bar.cls-meta.xml": xml("ApexClass", "    <apiVersion>60.0</apiVersion>\n"
                                                     "    <status>Active</status>"),
        "permissionsets/Ops.permissionset": permset(body)})
    assert (result.status, result.success) == ("Succeeded", True), \
        [f.problem for f in result.details.componentFailures]
