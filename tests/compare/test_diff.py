"""Component- and element-level diffs of handmade snapshots."""

from __future__ import annotations

from compare_helpers import account, field_xml, index, snap, xml

from sfenv.core.compare.diff import diff_commits
from sfenv.core.compare.model import ElementChange
from sfenv.core.compare.neutralize import Neutralizer
from sfenv.core.metadata.ids import ComponentId

RT = """    <recordTypes>
        <fullName>Partner</fullName>
        <active>true</active>
        <label>Partner</label>
    </recordTypes>
"""
VR = """    <validationRules>
        <fullName>Region_Required</fullName>
        <active>{active}</active>
        <errorConditionFormula>ISBLANK(Region__c)</errorConditionFormula>
        <errorMessage>Region is required</errorMessage>
    </validationRules>
"""
PICKLIST = """    <fields>
        <fullName>Tier__c</fullName>
        <label>Tier</label>
        <type>Picklist</type>
        <valueSet>
            <valueSetDefinition>
{values}            </valueSetDefinition>
        </valueSet>
    </fields>"""


def picklist(*values: str) -> str:
    return PICKLIST.format(values="".join(
        f"                <value>\n                    <fullName>{v}</fullName>\n"
        f"                    <default>false</default>\n                    <label>{v}</label>\n"
        f"                </value>\n" for v in values))


def profile(*perms: tuple[str, bool, bool], extra: str = "") -> bytes:
    body = "".join(f"""    <fieldPermissions>
        <editable>{str(e).lower()}</editable>
        <field>{f}</field>
        <readable>{str(r).lower()}</readable>
    </fieldPermissions>
""" for f, e, r in perms)
    return xml("Profile", body + extra + "    <custom>false</custom>")


def rows(diff):
    return {(str(c.component), c.kind) for c in diff.changes}


def test_diff_of_a_snapshot_with_itself_is_empty(store, registry):
    c = snap(store, "dev", {"objects/Account.object": account()})
    diff = diff_commits(store, c, c, registry=registry)
    assert diff.changes == [] and diff.blobs_read == 0


def test_object_children_are_rows_of_their_own_with_element_detail(store, registry):
    a = snap(store, "dev", {"objects/Account.object": account(
        field_xml("Region__c") + "\n" + picklist("Gold", "Silver"), extra=RT + VR.format(active="true"))})
    b = snap(store, "qa", {"objects/Account.object": account(
        field_xml("Region__c", 255) + "\n" + field_xml("Score__c") + "\n"
        + picklist("Silver", "Gold", "Platinum"), sharing="Read", extra=VR.format(active="false"))})
    diff = diff_commits(store, a, b, registry=registry, a_name="dev", b_name="qa")
    assert rows(diff) == {
        ("CustomObject:Account", "modified"),
        ("CustomField:Account.Region__c", "modified"),
        ("CustomField:Account.Score__c", "added"),
        ("CustomField:Account.Tier__c", "modified"),
        ("RecordType:Account.Partner", "removed"),
        ("ValidationRule:Account.Region_Required", "modified"),
    }
    by = {str(c.component): c for c in diff.changes}
    assert [str(e) for e in by["CustomField:Account.Region__c"].elements] == ["length 80 → 255"]
    assert [str(e) for e in by["CustomObject:Account"].elements] == ["sharingModel Private → Read"]
    assert [str(e) for e in by["CustomField:Account.Tier__c"].elements] == [
        "valueSet.valueSetDefinition.value[Platinum]: added"]
    assert by["ValidationRule:Account.Region_Required"].elements == [
        ElementChange("active", "changed", "true", "false")]
    assert by["CustomField:Account.Score__c"].parent == ComponentId("CustomObject", "Account")
    assert b"<fullName>Score__c</fullName>" in by["CustomField:Account.Score__c"].new_xml


def test_profile_permissions_are_one_row_per_entry(store, registry):
    a = snap(store, "dev", {"profiles/Admin.profile": profile(
        ("Account.Region__c", False, True), ("Account.Score__c", True, True))})
    b = snap(store, "qa", {"profiles/Admin.profile": profile(
        ("Account.Region__c", True, True), ("Account.Tier__c", True, True),
        extra="    <userPermissions>\n        <enabled>true</enabled>\n"
              "        <name>ViewSetup</name>\n    </userPermissions>\n")})
    diff = diff_commits(store, a, b, registry=registry)
    assert rows(diff) == {
        ("ProfileFieldPermission:Admin/Account.Region__c", "modified"),
        ("ProfileFieldPermission:Admin/Account.Score__c", "removed"),
        ("ProfileFieldPermission:Admin/Account.Tier__c", "added"),
        ("ProfileUserPermission:Admin/ViewSetup", "added"),
    }
    region = next(c for c in diff.changes if c.component.full_name == "Admin/Account.Region__c")
    assert [str(e) for e in region.elements] == ["editable false → true"]
    assert region.parent == ComponentId("Profile", "Admin")


def test_bundles_and_classes_group_their_files_into_one_component(store, registry):
    meta = xml("ApexClass", "    <apiVersion>{v}</apiVersion>\n    <status>Active</status>")
    files = {
        "classes/Foo.cls": b"public class Foo {}\n",
        "classes/Foo.cls-meta.xml": meta.replace(b"{v}", b"60.0"),
        "classes/Bar.cls": b"public class Bar {}\n",
        "classes/Bar.cls-meta.xml": meta.replace(b"{v}", b"60.0"),
        "lwc/card/card.js": b"export default class Card {}\n",
        "lwc/card/card.html": b"<template></template>\n",
        "lwc/card/card.js-meta.xml": xml("LightningComponentBundle", "    <isExposed>true</isExposed>"),
    }
    a = snap(store, "dev", files)
    changed = dict(files)
    changed["classes/Foo.cls"] = b"public class Foo {\n    void run() {}\n}\n"
    changed["classes/Foo.cls-meta.xml"] = meta.replace(b"{v}", b"61.0")
    changed["lwc/card/card.css"] = b".x {}\n"
    del changed["classes/Bar.cls"], changed["classes/Bar.cls-meta.xml"]
    b = snap(store, "qa", changed)
    diff = diff_commits(store, a, b, registry=registry)
    assert rows(diff) == {("ApexClass:Foo", "modified"), ("ApexClass:Bar", "removed"),
                          ("LightningComponentBundle:card", "modified")}
    by = {str(c.component): c for c in diff.changes}
    assert [str(e) for e in by["ApexClass:Foo"].elements] == [
        "Foo.cls 1 lines → 3 lines", "Foo.cls-meta.xml: apiVersion 60.0 → 61.0"]
    assert [str(e) for e in by["LightningComponentBundle:card"].elements] == ["card.css: added"]
    # the component's bytes are all its files in path order, unchanged ones included
    assert by["LightningComponentBundle:card"].new_xml.startswith(b".x {}\n<template>")


def test_values_declared_per_environment_do_not_show_as_differences(store, registry):
    def named_credential(endpoint: str, user: str) -> dict[str, bytes]:
        return {"namedCredentials/Billing.namedCredential": xml(
            "NamedCredential", f"    <endpoint>{endpoint}</endpoint>\n    <label>Billing</label>\n"
                               f"    <principal>{user}</principal>")}

    a = snap(store, "qa", named_credential("https://api.qa.acme-billing.example/v1",
                                           "integration@acme.example.qa"))
    b = snap(store, "prod", named_credential("https://api.acme-billing.example/v1",
                                             "integration@acme.example"))
    plain = diff_commits(store, a, b, registry=registry)
    assert rows(plain) == {("NamedCredential:Billing", "modified")}
    n = Neutralizer.for_envs(
        type("E", (), {"values": {"billing_endpoint": "https://api.qa.acme-billing.example",
                                  "username_suffix": ".qa"}})(),
        type("E", (), {"values": {"billing_endpoint": "https://api.acme-billing.example"}})())
    assert diff_commits(store, a, b, registry=registry, neutralize=n).changes == []
    # a real difference next to a neutralized value still shows, with the placeholder
    c = snap(store, "prod", named_credential("https://api.acme-billing.example/v2",
                                             "integration@acme.example"))
    diff = diff_commits(store, a, c, registry=registry, neutralize=n)
    assert [str(e) for e in diff.changes[0].elements] == [
        "endpoint {{billing_endpoint}}/v1 → {{billing_endpoint}}/v2"]
    assert plain.changes  # the cache keys on the neutralizer: the plain diff is unchanged
    assert rows(diff_commits(store, a, b, registry=registry)) == rows(plain)


def test_attribution_comes_from_each_side_component_index(store, registry):
    a = snap(store, "dev", {"objects/Account.object": account(),
                            ".sfenv/components.json": index({
                                "CustomObject:Account": ("Ann Admin", "2026-10-01T10:00:00.000Z")})})
    b = snap(store, "qa", {"objects/Account.object": account(field_xml("Region__c", 100)),
                           ".sfenv/components.json": index({
                               "CustomObject:Account": ("Bob Builder", "2026-10-05T09:00:00.000Z")})})
    (change,) = diff_commits(store, a, b, registry=registry).changes
    assert change.old_by.last_modified_by == "Ann Admin"
    assert change.new_by.last_modified_by == "Bob Builder"
    assert change.new_by.last_modified_date == "2026-10-05T09:00:00.000Z"


def test_large_pair_with_one_percent_changed_reads_only_changed_blobs(store, registry):
    n, every = 20000, 100
    files = {f"objects/Obj{i}__c.object": account(field_xml(f"F{i}__c")) for i in range(n)}
    a = snap(store, "dev", files)
    changed = {f"objects/Obj{i}__c.object": account(field_xml(f"F{i}__c", 99))
               for i in range(0, n, every)}
    b = store.write_snapshot("qa", changed, {}, expected_old=None, base_commit=a)
    diff = diff_commits(store, a, b, registry=registry)
    assert diff.files_changed == n // every
    assert diff.blobs_read == 2 * (n // every)  # old and new blob of each changed file, no more
    assert len(diff.changes) == n // every
    assert all(str(c.elements[0]) == "length 80 → 99" for c in diff.changes)
    again = diff_commits(store, a, b, registry=registry)  # cached by tree ids
    assert again.blobs_read == 0 and len(again.changes) == len(diff.changes)


def test_reordering_keyed_or_plain_lists_is_not_an_element_change():
    from sfenv.core.compare.elements import element_changes

    def vs(*names: str, members: tuple[str, ...] = ()) -> bytes:
        return xml("CustomField", "".join(
            f"    <value>\n        <fullName>{n}</fullName>\n        <label>{n}</label>\n"
            f"    </value>\n" for n in names) + "".join(
            f"    <members>{m}</members>\n" for m in members) + "    <type>Picklist</type>")

    assert element_changes(vs("Gold", "Silver", members=("a", "b")),
                           vs("Silver", "Gold", members=("b", "a"))) == []
    assert [str(e) for e in element_changes(vs("Gold", members=("a", "b")),
                                            vs("Gold", members=("a", "c")))] == [
        "members[b]: removed", "members[c]: added"]


def _override(obj: str, content: str) -> str:
    return f"""    <profileActionOverrides>
        <actionName>View</actionName>
        <content>{content}</content>
        <formFactor>Large</formFactor>
        <pageOrSobjectType>{obj}</pageOrSobjectType>
        <type>Flexipage</type>
    </profileActionOverrides>
"""


def _ip_range(start: str, end: str, description: str) -> str:
    return f"""    <loginIpRanges>
        <description>{description}</description>
        <endAddress>{end}</endAddress>
        <startAddress>{start}</startAddress>
    </loginIpRanges>
"""


def test_a_changed_action_override_is_reported_when_another_object_overrides_the_same_action(
        store, registry):
    a = snap(store, "dev", {"profiles/Admin.profile": profile(
        extra=_override("Account", "Account_Page") + _override("Contact", "Contact_Page"))})
    b = snap(store, "qa", {"profiles/Admin.profile": profile(
        extra=_override("Account", "Account_Page_V2") + _override("Contact", "Contact_Page"))})
    diff = diff_commits(store, a, b, registry=registry)
    assert rows(diff) == {("ProfileProfileActionOverride:Admin/View@Account@Large", "modified")}
    assert [str(e) for e in diff.changes[0].elements] == ["content Account_Page → Account_Page_V2"]


def test_two_login_ip_ranges_starting_at_one_address_are_two_rows(store, registry):
    a = snap(store, "dev", {"profiles/Admin.profile": profile(
        extra=_ip_range("10.0.0.0", "10.0.0.127", "office") + _ip_range("10.0.0.0", "10.0.0.255", "vpn"))})
    b = snap(store, "qa", {"profiles/Admin.profile": profile(
        extra=_ip_range("10.0.0.0", "10.0.0.127", "office, moved"))})
    diff = diff_commits(store, a, b, registry=registry)
    assert rows(diff) == {("ProfileLoginIpRange:Admin/10.0.0.0@10.0.0.127", "modified"),
                          ("ProfileLoginIpRange:Admin/10.0.0.0@10.0.0.255", "removed")}
