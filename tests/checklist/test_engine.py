"""Engine behaviours a release manager notices: stable ids, usernames mapped per environment,
manual components not doubled, the audit feed filtered, element paths matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfenv.config.model import Config, EnvConfig
from sfenv.core.checklist import ChecklistContext, build_checklist, load_catalogue
from sfenv.core.checklist.engine import more_restrictive
from sfenv.core.checklist.model import username_suffixes
from sfenv.core.compare.model import Change, ElementChange
from sfenv.core.metadata.ids import ComponentId

NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'


def obj(model: str) -> bytes:
    return f'<CustomObject {NS}><label>P</label><sharingModel>{model}</sharingModel></CustomObject>'.encode()


def role(label: str, parent: str | None = None) -> bytes:
    p = f"<parentRole>{parent}</parentRole>" if parent else ""
    return f"<Role {NS}><name>{label}</name>{p}</Role>".encode()


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def owd_change(old: str, new: str) -> Change:
    return Change(ComponentId("CustomObject", "Project__c"), "modified", old_xml=obj(old),
                  new_xml=obj(new), elements=[ElementChange("sharingModel", "changed", old, new)])


@pytest.mark.parametrize("old, new, severity", [
    ("ReadWrite", "Private", "critical"), ("ReadWrite", "Read", "critical"),
    ("Private", "ReadWrite", "warning"), ("Read", "ControlledByParent", "critical"),
])
def test_owd_change_names_old_and_new_and_is_critical_when_more_restrictive(catalogue, old, new, severity):
    [step] = build_checklist([owd_change(old, new)], ChecklistContext("qa", "prod", "Ops"), catalogue)
    assert step.id == "owd.Project__c"
    assert f"{old} → {new}" in step.title
    assert step.severity == severity
    assert step.owner == "Ops" and step.phase == "before"


def test_more_restrictive_ranks_sharing_models():
    assert more_restrictive("ReadWrite", "Private")
    assert not more_restrictive("Private", "Read")
    assert not more_restrictive("Read", "Read")


def test_step_ids_are_stable_across_runs(catalogue):
    ctx = ChecklistContext("qa", "prod")
    changes = [owd_change("ReadWrite", "Private"),
               Change(ComponentId("Role", "EMEA"), "added", new_xml=role("EMEA", "CEO"))]
    first = [s.to_dict() for s in build_checklist(changes, ctx, catalogue)]
    second = [s.to_dict() for s in build_checklist(list(reversed(changes)), ctx, catalogue)]
    assert first == second
    assert [s["id"] for s in first] == ["owd.Project__c", "role-new.EMEA", "role-hierarchy"]


def test_new_role_names_its_parent_with_label(catalogue):
    ctx = ChecklistContext("qa", "prod", target_components={ComponentId("Role", "VP_Sales"): role("VP Sales")})
    steps = build_checklist([Change(ComponentId("Role", "EMEA"), "added", new_xml=role("EMEA Sales", "VP_Sales"))],
                            ctx, catalogue)
    assert "Parent: VP Sales (VP_Sales)" in steps[0].details


def test_element_path_from_compare_triggers_rule_without_xml(catalogue):
    # a rule's `element` matches the compare layer's ElementChange paths too
    change = Change(ComponentId("Role", "EMEA"), "modified",
                    elements=[ElementChange("parentRole", "changed", "A", "B")])
    ids = [s.id for s in build_checklist([change], ChecklistContext("qa", "prod"), catalogue)]
    assert "role-moved.EMEA" in ids


def test_manual_component_gets_manual_step_only(catalogue):
    cid = ComponentId("Role", "EMEA_Sales_Manager")
    xml = role("EMEA Sales Manager", "VP_Sales")
    ctx = ChecklistContext("qa", "prod", manual=[(cid, xml)],
                           target_components={ComponentId("Role", "VP_Sales"): role("VP Sales")})
    steps = build_checklist([Change(cid, "added", new_xml=xml)], ctx, catalogue)
    assert [s.rule for s in steps] == ["manual-role"]
    assert steps[0].title == "Create role EMEA Sales Manager (EMEA_Sales_Manager) under VP Sales (VP_Sales)"


@pytest.mark.parametrize("suffixes, src, dst, user, expected", [
    ({}, "qa", "prod", "ana@acme.com.qa", "ana@acme.com"),
    ({}, "dev", "qa", "ana@acme.com.dev", "ana@acme.com.qa"),
    ({"qa": ".qa2"}, "qa", "prod", "ana@acme.com.qa2", "ana@acme.com"),
    ({"uat": ".staging"}, "qa", "uat", "ana@acme.com.qa", "ana@acme.com.staging"),
])
def test_usernames_map_by_sandbox_suffix(suffixes, src, dst, user, expected):
    ctx = ChecklistContext(src, dst, target_is_production=(dst == "prod"), username_suffixes=suffixes)
    assert ctx.map_username(user) == expected


def test_username_suffixes_come_from_config_values():
    envs = {"dev": EnvConfig("dev"), "qa": EnvConfig("qa", values={"username_suffix": ".qa2"}),
            "prod": EnvConfig("prod", production=True)}
    config = Config(Path("sfenv.yml"), Path("."), "p", "62.0", envs, [["dev"], ["qa"], ["prod"]])
    assert username_suffixes(config) == {"dev": ".dev", "qa": ".qa2", "prod": ""}


def test_audit_rows_match_sections_case_insensitively_and_since_base(catalogue):
    rows = [
        {"Id": "1", "CreatedDate": "2026-01-01T00:00:00.000Z", "Section": "Divisions", "Display": "old"},
        {"Id": "2", "CreatedDate": "2026-02-02T00:00:00.000Z", "Section": "DIVISIONS",
         "Display": "Created division EMEA", "CreatedByName": "Ana"},
        {"Id": "3", "CreatedDate": "2026-02-03T00:00:00.000Z", "Section": "Apex Class", "Display": "x"},
    ]
    ctx = ChecklistContext("qa", "prod", audit_rows=rows, audit_since="2026-02-01")
    [step] = build_checklist([], ctx, catalogue)
    assert step.id == "audit.2"
    assert step.title == "Replicate this setup change: Created division EMEA"
    assert any("Ana" in d and "2026-02-02" in d for d in step.details)


def test_audit_steps_come_in_the_order_the_changes_were_made_not_by_salesforce_id(catalogue):
    """Salesforce ids order nothing: a person replays setup changes in the order they were
    made, so the steps follow the rows' dates (the id decides only within one second)."""
    rows = [
        {"Id": "0Ya9", "CreatedDate": "2026-02-02T09:00:00.000Z", "Section": "Divisions",
         "Display": "Created division EMEA"},
        {"Id": "0Ya1", "CreatedDate": "2026-02-03T09:00:00.000Z", "Section": "Divisions",
         "Display": "Renamed division EMEA to Europe"},
        {"Id": "0Ya5", "CreatedDate": "2026-02-02T08:00:00.000Z", "Section": "Divisions",
         "Display": "Enabled divisions"},
    ]
    ctx = ChecklistContext("qa", "prod", audit_rows=rows, audit_since="2026-02-01")
    steps = build_checklist([], ctx, catalogue)
    assert [s.id for s in steps] == ["audit.0Ya5", "audit.0Ya9", "audit.0Ya1"]


def test_changes_of_types_no_rule_knows_give_no_steps(catalogue):
    change = Change(ComponentId("ApexClass", "Foo"), "modified", old_xml=b"class Foo {}", new_xml=b"class Foo { }")
    assert build_checklist([change], ChecklistContext("qa", "prod"), catalogue) == []


def test_manual_component_removed_in_the_source_becomes_a_removal_step(catalogue):
    entry = ComponentId("ProfileClassAccess", "Admin/InvoicePdfLegacy")
    old = (f"<classAccesses {NS}><apexClass>InvoicePdfLegacy</apexClass>"
           f"<enabled>true</enabled></classAccesses>").encode()
    gone_role = ComponentId("Role", "Old_Team")
    ctx = ChecklistContext("qa", "prod", manual_removed=[(entry, old), (gone_role, role("Old Team"))])
    changes = [Change(entry, "removed", old_xml=old), Change(gone_role, "removed", old_xml=role("Old Team"))]
    steps = build_checklist(changes, ctx, catalogue)
    by_rule = {s.rule: s for s in steps}
    assert set(by_rule) == {"manual-revoke", "manual-role"}, [s.rule for s in steps]
    revoke = by_rule["manual-revoke"]
    assert revoke.title == "Revoke ApexClass:InvoicePdfLegacy from Profile Admin by hand in prod"
    assert "never revokes" in revoke.why and "policy" not in revoke.why
    assert by_rule["manual-role"].title == "Delete role Old Team (Old_Team): reassign its users first"


def test_no_revoke_step_for_the_access_to_a_component_the_train_deletes(catalogue):
    """Deleting a class removes every profile's access to it: nothing is left to revoke."""
    entry = ComponentId("ProfileClassAccess", "Admin/InvoicePdfLegacy")
    old = (f"<classAccesses {NS}><apexClass>InvoicePdfLegacy</apexClass>"
           f"<enabled>true</enabled></classAccesses>").encode()
    cls = ComponentId("ApexClass", "InvoicePdfLegacy")
    ctx = ChecklistContext("qa", "prod", manual_removed=[(entry, old)])
    changes = [Change(entry, "removed", old_xml=old), Change(cls, "removed", old_xml=b"<x/>")]
    assert [s.rule for s in build_checklist(changes, ctx, catalogue)
            if s.component == str(entry)] == []


def test_a_held_change_cites_manual_types_only_when_sfenv_yml_names_its_type():
    """The catch-all manual step says "kept manual by policy (sfenv.yml manual_types)" only for
    a type the team listed; any other held change says a deploy cannot make it (issue 26)."""
    from sfenv.core.checklist import load_catalogue

    xml = b"<BusinessHoursEntry><name>Default</name></BusinessHoursEntry>"
    held = [(ComponentId("BusinessHoursEntry", "Default"), xml)]
    listed = ChecklistContext("qa", "prod", manual=held, manual_types=("BusinessHoursEntry",))
    unlisted = ChecklistContext("qa", "prod", manual=held)
    [by_policy] = build_checklist([], listed, load_catalogue())
    [cannot] = build_checklist([], unlisted, load_catalogue())
    assert "kept manual by policy (sfenv.yml manual_types)" not in cannot.why
    assert "A deploy cannot make this change" in cannot.why
    assert by_policy.why.startswith("This type is kept manual by policy (sfenv.yml manual_types)")
