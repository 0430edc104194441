"""Hand changes in Setup, simulated: an admin edits a component (or makes a change the API
cannot see) outside any release. Used by `sfenv localorg change` and `LocalOrgHandle.change`.

Edits go straight to the org folder's Metadata API files (through sfenv.core.metadata's parser and
writer, so the bytes stay Salesforce-shaped), then the component's lastModified data and the
audit trail record who did it. Only the edited component is touched: as in Salesforce, editing
`CustomField:Account.Region__c` changes that field's lastModifiedDate, not Account's.
"""

from __future__ import annotations

from lxml import etree

from sfenv.core.metadata.components import child_full_name
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import child_text, local_name, parse_xml, write_xml
from sfenv.errors import MetadataError
from sfenv.localorg.mdapi.audit import audit_section
from sfenv.localorg.state import OrgState, User


def apply_change(org: OrgState, *, as_user: str | None = None,
                 set_field: tuple[str, str] | None = None, deactivate: str | None = None,
                 audit: tuple[str, str] | None = None, when: str | None = None,
                 registry: Registry | None = None) -> list[str]:
    """Apply one hand change and return the audit rows' Display texts.

    set_field: ("CustomField:Account.Region__c", "length=255") replaces the text of that
    element in the component's XML. deactivate: "ValidationRule:Account.Check" sets its
    `<active>` to false. audit: ("Manage Currencies", "Changed corporate currency") only adds
    an audit-trail row (for Setup sections the Metadata API does not cover).
    """
    chosen = [x for x in (set_field, deactivate, audit) if x]
    if len(chosen) != 1:
        raise MetadataError("give exactly one of --set-field, --deactivate or --audit")
    registry = registry or default_registry()
    with org.lock:
        user = _user(org, as_user)
        if audit:
            section, display = audit
            org.add_audit("changedSetup", section, display, user, when)
            org.save()
            return [display]
        if deactivate:
            cid_text, assignment = deactivate, "active=false"
        else:
            cid_text, assignment = set_field  # type: ignore[misc]
        element, sep, value = assignment.partition("=")
        if not sep or not element.strip():
            raise MetadataError(f"--set-field wants ELEMENT=VALUE, not {assignment!r}")
        try:
            cid = ComponentId.parse(cid_text)
        except ValueError as err:
            raise MetadataError(str(err)) from None
        old = _edit(org, registry, cid, element.strip(), value)
        verb = "Deactivated" if deactivate else "Changed"
        display = (f"{verb} {cid.type} {cid.full_name}" if deactivate else
                   f"{verb} {cid.type} {cid.full_name}: {element.strip()} from {old} to {value}")
        org.touch_components([cid], user, when)
        org.add_audit(f"changed{cid.type}", audit_section(cid, registry), display, user, when)
        org.save()
        return [display]


def _user(org: OrgState, name: str | None) -> User:
    if not name:
        return org.admin
    user = org.user_by_name(name)
    if user is None:
        known = ", ".join(sorted(u.name for u in org.users))
        raise MetadataError(f"no user named {name!r} in the local org (known: {known})")
    return user


def _edit(org: OrgState, registry: Registry, cid: ComponentId, element: str, value: str) -> str:
    """Replace the text of `element` in the component; returns the old text."""
    if registry.find(cid.type) is None:
        raise MetadataError(f"unknown metadata type: {cid.type}")
    rel = registry.meta_path(cid) or registry.expected_path(cid)
    path = org.metadata_dir / rel
    if not path.is_file():
        raise MetadataError(f"{cid}: no file {rel} in {org.metadata_dir}")
    root = parse_xml(path.read_bytes(), rel)
    target = _component_element(root, registry, cid, rel)
    el = next((c for c in target if isinstance(c.tag, str) and local_name(c) == element), None)
    if el is None:
        el = next((c for c in target.iter() if isinstance(c.tag, str)
                   and local_name(c) == element and c is not target), None)
    if el is None:
        raise MetadataError(f"{rel}: {cid} has no <{element}> element")
    if len(el):
        raise MetadataError(f"{rel}: <{element}> of {cid} holds elements, not text")
    old = el.text or ""
    el.text = value
    path.write_bytes(write_xml(root))
    return old


def _component_element(root: etree._Element, registry: Registry, cid: ComponentId,
                       source: str) -> etree._Element:
    found = registry.child(cid.type)
    if found is None:
        return root
    _, spec = found
    owner = registry.parent_id(cid)
    for el in root:
        if isinstance(el.tag, str) and local_name(el) == spec.xml_element:
            key = child_text(el, spec.key_element)
            if key and child_full_name(owner, spec, key) == cid.full_name:
                return el
    raise MetadataError(f"{source}: no {cid.type} {cid.full_name} in this file")
