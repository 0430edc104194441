"""SetupAuditTrail rows for what a deploy changed, worded the way Setup writes them.

Plausible, not exhaustive: fields (with their length changes), objects, Apex, roles, groups,
sharing rules, profiles and permission sets get Setup's sections; other types a generic row.
"""

from __future__ import annotations

from sfenv.errors import MetadataError
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.xmlio import child_text, parse_xml

from .md_deploy import DeployPlan

STANDARD_PLURALS = {"Opportunity": "Opportunities", "Case": "Cases", "Account": "Accounts",
                    "Contact": "Contacts", "Lead": "Leads", "Campaign": "Campaigns"}
SECTIONS = {
    "ApexClass": ("Apex Class", "changedApexClass", "Changed {name} Apex Class code",
                  "Created Apex Class {name}"),
    "ApexTrigger": ("Apex Trigger", "changedApexTrigger", "Changed {name} Apex Trigger code",
                    "Created Apex Trigger {name}"),
    "Role": ("Manage Users", "changedRole", "Changed role {name}", "Created role {name}"),
    "Group": ("Manage Users", "changedGroup", "Changed public group {name}",
              "Created public group {name}"),
    "Queue": ("Manage Users", "changedQueue", "Changed queue {name}", "Created queue {name}"),
    "Profile": ("Manage Users", "profileChanged", "Changed profile {name}",
                "Created profile {name}"),
    "PermissionSet": ("Manage Users", "permSetChanged", "Changed permission set {name}",
                      "Created permission set {name}"),
    "SharingCriteriaRule": ("Sharing Rules", "changedSharingRule", "Changed sharing rule {name}",
                            "Created sharing rule {name}"),
    "SharingOwnerRule": ("Sharing Rules", "changedSharingRule", "Changed sharing rule {name}",
                         "Created sharing rule {name}"),
    "Layout": ("Customize {plural}", "changedLayout", "Changed {name} page layout",
               "Created {name} page layout"),
}


def _plural(obj: str) -> str:
    if obj in STANDARD_PLURALS:
        return STANDARD_PLURALS[obj]
    return obj.removesuffix("__c").replace("_", " ") + (" (custom object)" if obj.endswith("__c") else "s")


def _text(xml: bytes | None, tag: str) -> str | None:
    if not xml:
        return None
    try:
        root = parse_xml(xml, "audit")
    except MetadataError:
        return None
    return child_text(root, tag)


def rows_for(plan: DeployPlan, new_xml: dict[ComponentId, bytes] | None = None
             ) -> list[tuple[str, str, str]]:
    """(Action, Section, Display) per changed component of a deploy."""
    rows: list[tuple[str, str, str]] = []
    for success in plan.successes:
        cid = success.component
        if not (success.created or success.changed or success.deleted):
            continue
        obj = cid.full_name.split(".", 1)[0].split("-", 1)[0]
        short = cid.full_name.split(".", 1)[-1].removesuffix("__c").replace("_", " ")
        if cid.type == "CustomField":
            section = f"Customize {_plural(obj)}"
            if success.deleted:
                rows.append(("deletedCF", section, f"Deleted {short} custom field"))
            elif success.created:
                rows.append(("createdCF", section, f"Created custom field {short}"))
            else:
                old = _text(plan.before.get(cid), "length")
                new = _text((new_xml or {}).get(cid), "length")
                if old and new and old != new:
                    rows.append(("changedCFLength", section,
                                 f"Changed {short} field length from {old} to {new}"))
                else:
                    rows.append(("changedCF", section, f"Changed custom field {short}"))
            continue
        if cid.type == "CustomObject":
            verb = "Deleted" if success.deleted else "Created" if success.created else "Changed"
            rows.append((f"{verb.lower()}CustomObject", "Custom Objects",
                         f"{verb} custom object: {cid.full_name}"))
            continue
        spec = SECTIONS.get(cid.type)
        if spec is None:
            verb = "Deleted" if success.deleted else "Created" if success.created else "Changed"
            rows.append(("deployment", "Deployment",
                         f"{verb} {cid.type} {cid.full_name} by deployment"))
            continue
        section, action, changed, created = spec
        section = section.format(plural=_plural(obj))
        if success.deleted:
            rows.append((action.replace("changed", "deleted"), section,
                         changed.replace("Changed", "Deleted").format(name=cid.full_name)))
        else:
            text = created if success.created else changed
            rows.append((action, section, text.format(name=cid.full_name)))
    return rows


def audit_deploy(org, plan: DeployPlan, user) -> None:
    """Write the audit rows of an applied deploy plan."""
    new_xml = _new_children(plan)
    for action, section, display in rows_for(plan, new_xml):
        org.add_audit(action, section, display, user)


def _new_children(plan: DeployPlan) -> dict[ComponentId, bytes]:
    """New XML of changed child components (for before/after details such as field length)."""
    from sfenv.metadata.components import split_file
    from sfenv.metadata.registry import default_registry

    registry = default_registry()
    wanted = {s.component for s in plan.successes if s.changed and s.component in plan.before}
    found: dict[ComponentId, bytes] = {}
    for path, data in plan.writes.items():
        try:
            pieces = split_file(path, data, registry)
        except Exception:
            continue
        for piece in pieces:
            if piece.id in wanted:
                found[piece.id] = piece.xml
    return found
