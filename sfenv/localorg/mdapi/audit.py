"""SetupAuditTrail rows for what a deploy or a hand change did, worded the way Setup does.

Plausible, not exhaustive: fields (with their length changes) and objects get Setup's object
sections; types with wording in the registry (`MetadataType.audit`, from `overrides.py`: Apex,
flows, roles, groups, sharing rules, profiles, permission sets, layouts) their own; other
types a generic row. Deploys (`rows_for`) and hand changes (`localorg.changes`) share it.
"""

from __future__ import annotations

from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import child_text, parse_xml
from sfenv.errors import MetadataError
from sfenv.localorg.mdapi.deploy import DeployPlan
from sfenv.localorg.state import OrgState, User

STANDARD_PLURALS = {"Opportunity": "Opportunities", "Case": "Cases", "Account": "Accounts",
                    "Contact": "Contacts", "Lead": "Leads", "Campaign": "Campaigns"}
def plural(obj: str) -> str:
    """An object's plural label as Setup's section names use it ("Customize Opportunities")."""
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


def audit_section(cid: ComponentId, registry: Registry) -> str:
    """The Setup section a hand change of `cid` is logged under (a child: its parent's)."""
    owner = registry.parent_id(cid)
    if owner.type == "CustomObject":
        if owner.full_name.endswith("__c"):
            return "Custom Objects"
        return f"Customize {plural(owner.full_name)}"
    mtype = registry.find(owner.type)
    if mtype is None or mtype.audit is None:
        return "Customize"
    return mtype.audit.section.format(plural=plural(owner.full_name.split("-", 1)[0]))


def rows_for(plan: DeployPlan, new_xml: dict[ComponentId, bytes] | None = None
             ) -> list[tuple[str, str, str]]:
    """(Action, Section, Display) per changed component of a deploy."""
    registry = default_registry()
    rows: list[tuple[str, str, str]] = []
    for success in plan.successes:
        cid = success.component
        if not (success.created or success.changed or success.deleted):
            continue
        obj = cid.full_name.split(".", 1)[0].split("-", 1)[0]
        short = cid.full_name.split(".", 1)[-1].removesuffix("__c").replace("_", " ")
        if cid.type == "CustomField":
            section = f"Customize {plural(obj)}"
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
        mtype = registry.find(cid.type)
        wording = mtype.audit if mtype else None
        if wording is None:
            verb = "Deleted" if success.deleted else "Created" if success.created else "Changed"
            rows.append(("deployment", "Deployment",
                         f"{verb} {cid.type} {cid.full_name} by deployment"))
            continue
        section, action = wording.section.format(plural=plural(obj)), wording.action
        changed, created = wording.changed, wording.created
        if success.deleted:
            rows.append((action.replace("changed", "deleted"), section,
                         changed.replace("Changed", "Deleted").format(name=cid.full_name)))
        else:
            text = created if success.created else changed
            rows.append((action, section, text.format(name=cid.full_name)))
    return rows


def audit_deploy(org: OrgState, plan: DeployPlan, user: User) -> None:
    """Write the audit rows of an applied deploy plan."""
    new_xml = _new_children(plan)
    for action, section, display in rows_for(plan, new_xml):
        org.add_audit(action, section, display, user)


def _new_children(plan: DeployPlan) -> dict[ComponentId, bytes]:
    """New XML of changed child components (for before/after details such as field length)."""
    registry = default_registry()
    wanted = {s.component for s in plan.successes if s.changed and s.component in plan.before}
    found: dict[ComponentId, bytes] = {}
    for path, data in plan.writes.items():
        try:
            pieces = split_file(path, data, registry)
        except MetadataError:
            continue
        for piece in pieces:
            if piece.id in wanted:
                found[piece.id] = piece.xml
    return found
