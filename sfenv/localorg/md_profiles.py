"""What a retrieved Profile holds: its own settings plus permissions for components retrieved
with it (Salesforce's rule). Uses `sfenv.metadata.profiles.filter_profile` when the metadata
layer provides it; this table is the local org's own fallback until then.
"""

from __future__ import annotations

from lxml import etree

from sfenv.metadata.ids import ComponentId
from sfenv.metadata.registry import Registry
from sfenv.metadata.xmlio import parse_xml, write_xml

# Profile element -> (element naming the component, component type). Others are own settings.
REFERENCES: dict[str, tuple[str, str]] = {
    "applicationVisibilities": ("application", "CustomApplication"),
    "classAccesses": ("apexClass", "ApexClass"),
    "customMetadataTypeAccesses": ("name", "CustomObject"),
    "customPermissions": ("name", "CustomPermission"),
    "customSettingAccesses": ("name", "CustomObject"),
    "externalDataSourceAccesses": ("externalDataSource", "ExternalDataSource"),
    "fieldPermissions": ("field", "CustomField"),
    "flowAccesses": ("flow", "Flow"),
    "layoutAssignments": ("layout", "Layout"),
    "objectPermissions": ("object", "CustomObject"),
    "pageAccesses": ("apexPage", "ApexPage"),
    "recordTypeVisibilities": ("recordType", "RecordType"),
    "tabVisibilities": ("tab", "CustomTab"),
}


def _kept(type_name: str, name: str, ids: set[ComponentId]) -> bool:
    if ComponentId(type_name, name) in ids:
        return True
    if type_name in ("CustomField", "RecordType"):  # the whole object brings its children
        return ComponentId("CustomObject", name.split(".", 1)[0]) in ids
    return False


def filter_profile(data: bytes, ids: set[ComponentId], *, registry: Registry, source: str) -> bytes:
    """The profile with only permissions naming components in `ids` (plus its own settings)."""
    try:
        from sfenv.metadata.profiles import filter_profile as shared
    except ImportError:
        shared = None
    if shared is not None:
        return shared(data, ids, registry=registry, source=source)
    root = parse_xml(data, source)
    for el in list(root):
        if not isinstance(el.tag, str):
            continue
        ref = REFERENCES.get(etree.QName(el).localname)
        if ref is None:
            continue
        element, type_name = ref
        names = [(c.text or "").strip() for c in el
                 if isinstance(c.tag, str) and etree.QName(c).localname == element]
        if not names or not _kept(type_name, names[0], ids):
            root.remove(el)
    return write_xml(root)
