"""Which Setup Audit Trail rows are about one component: by the row's Section and the
component's own label or API name as Salesforce writes them, never by a word it shares.

Salesforce's rows read "Changed length of Region (Account) custom field from 80 to 120"
(section "Customize Accounts"), "Changed active flag for Region_Format validation rule on
Account from true to false", "Created custom field Payment Terms (Picklist) on Invoice"
(section "Custom Objects"), "Deleted Apex class InvoicePdfLegacy" (section "Apex Class"). A
row attaches to a component when its section is one Salesforce uses for that kind of
component and its text names the component itself: its full API name, or (for a child of an
object) its label or API name together with the kind ("custom field", "validation rule"...)
and its object. A row naming only the object ("Account") attaches to no field of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sfenv.errors import MetadataError
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.xmlio import local_name, parse_xml

OBJECT_CHILDREN = {  # child type -> the words Salesforce's rows use for it
    "CustomField": ("custom field", "field"),
    "ValidationRule": ("validation rule",),
    "RecordType": ("record type",),
    "ListView": ("list view",),
    "FieldSet": ("field set",),
    "CompactLayout": ("compact layout",),
    "WebLink": ("button", "link"),
    "BusinessProcess": ("business process",),
    "SharingReason": ("sharing reason",),
    "Index": ("index",),
}
OBJECT_SECTIONS = ("Custom Objects", "Customize ", "Sharing Defaults")
SECTIONS = {  # top-level type -> sections its rows are filed under
    "ApexClass": ("Apex Class",), "ApexTrigger": ("Apex Trigger",),
    "ApexPage": ("Page", "Visualforce"), "ApexComponent": ("Component", "Visualforce"),
    "CustomLabel": ("Custom Labels",), "CustomLabels": ("Custom Labels",),
    "Role": ("Manage Users", "Roles"), "Group": ("Manage Users", "Groups", "Public Groups"),
    "Queue": ("Manage Users", "Queues"), "Profile": ("Manage Users", "Profiles"),
    "PermissionSet": ("Manage Users", "Permission Sets"),
    "Flow": ("Flows", "Process Builder"), "NamedCredential": ("Named Credentials",),
    "RemoteSiteSetting": ("Security Controls", "Remote Site Settings"),
    "Layout": OBJECT_SECTIONS, "CustomObject": OBJECT_SECTIONS,
}
MAX_ROWS = 5
PERMISSION_OWNERS = ("MutingPermissionSet", "PermissionSet", "Profile")
ENTRY_TARGETS = {  # a permission entry is about the component it grants access to
    "ClassAccess": "ApexClass", "FieldPermission": "CustomField",
    "ObjectPermission": "CustomObject", "PageAccess": "ApexPage",
    "RecordTypeVisibility": "RecordType", "TabVisibility": "CustomTab",
    "TabSetting": "CustomTab", "LayoutAssignment": "Layout", "FlowAccess": "Flow",
    "ApplicationVisibility": "CustomApplication", "CustomPermission": "CustomPermission",
    "CustomMetadataTypeAccess": "CustomObject", "CustomSettingAccess": "CustomObject",
}


def _token(word: str, text: str) -> bool:
    """`word` in `text` as a whole token (letters, digits and `_` around it do not count)."""
    return bool(word) and re.search(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])",
                                    text, re.IGNORECASE) is not None


def _plain(api_name: str) -> str:
    """The label-like form of an API name: `Payment_Terms__c` -> `Payment Terms`."""
    return re.sub(r"__c$", "", api_name).replace("_", " ").strip()


def label_of(xml: bytes | None) -> str | None:
    """The component's own label: its `<label>`, `<masterLabel>` or (roles, groups, queues)
    `<name>`, a direct child of its root element."""
    if not xml or not xml.lstrip().startswith(b"<"):
        return None
    try:
        root = parse_xml(xml, "component")
    except MetadataError:
        return None
    found = {local_name(el): el.text.strip() for el in root
             if isinstance(el.tag, str) and el.text and el.text.strip()}
    return found.get("label") or found.get("masterLabel") or found.get("name")


def _section_ok(section: str, kinds: Iterable[str]) -> bool:
    return any(section == k or (k.endswith(" ") and section.startswith(k)) for k in kinds)


def _names(api: str, label: str | None) -> list[str]:
    return [n for n in {api, _plain(api), label or ""} if n]


def granted(cid: ComponentId) -> ComponentId | None:
    """What a profile or permission set entry grants access to (`ProfileClassAccess:Admin/X`
    -> `ApexClass:X`), or None for any other component."""
    if "/" not in cid.full_name:
        return None
    for owner in PERMISSION_OWNERS:
        if cid.type.startswith(owner) and cid.type[len(owner):] in ENTRY_TARGETS:
            key = cid.full_name.split("/", 1)[1].split("@", 1)[0]
            return ComponentId(ENTRY_TARGETS[cid.type[len(owner):]], key)
    return None


def matches(row: dict, cid: ComponentId, label: str | None = None) -> bool:
    """Is this audit row about `cid` (whose own label is `label`, when known)? A permission
    entry takes the rows about the component it grants access to."""
    target = granted(cid)
    if target is not None:
        return matches(row, target)
    section, text = str(row.get("Section") or ""), str(row.get("Display") or "")
    if cid.type in OBJECT_CHILDREN and "." in cid.full_name:
        obj, own = cid.full_name.split(".", 1)
        if not _section_ok(section, OBJECT_SECTIONS):
            return False
        if _token(cid.full_name, text):
            return True
        words = OBJECT_CHILDREN[cid.type]
        return (any(_token(w, text) for w in words)
                and any(_token(n, text) for n in _names(own, label))
                and any(_token(n, text) for n in _names(obj, None)))
    if cid.type == "Layout":
        obj, _, own = cid.full_name.partition("-")
        return (_section_ok(section, OBJECT_SECTIONS) and "layout" in text.lower()
                and (_token(cid.full_name, text) or (_token(own, text) and any(
                    _token(n, text) for n in _names(obj, None)))))
    if cid.type == "CustomObject":
        if not _section_ok(section, OBJECT_SECTIONS):
            return False
        lowered = text.lower()
        if any(w in lowered for words in OBJECT_CHILDREN.values() for w in words
               if w not in ("field", "index", "link", "button")) or "layout" in lowered:
            return False  # a row about one of its children
        return any(_token(n, text) for n in _names(cid.full_name, label))
    kinds = SECTIONS.get(cid.type)
    if kinds is not None and not _section_ok(section, kinds):
        return False
    names = [cid.full_name] + ([label] if label and kinds is not None else [])
    return any(len(n) >= 3 and _token(n, text) for n in names)


def rows_about(rows: list[dict], cid: ComponentId, label: str | None = None,
               limit: int = MAX_ROWS) -> list[dict]:
    """The rows about `cid`, newest first as stored, at most `limit`."""
    found = []
    for row in rows:
        if matches(row, cid, label):
            found.append(row)
            if len(found) >= limit:
                break
    return found
