"""Generate sfenv/core/metadata/registry.json from Salesforce CLI's registry plus sfenv's own facts.

Why: the type table must cover every Metadata API type, and SDR already knows directories,
suffixes, folders and child types. We add what SDR does not say: which repeated lists are
unordered (and the element that keys them), and the strategy names sfenv uses in Metadata API
format (not source format).

Usage: python tools/gen_registry.py [path/to/sdr-metadataRegistry.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT_SDR = Path("/work/shared/reference/sdr-metadataRegistry.json")
OUT = Path(__file__).resolve().parent.parent / "sfenv" / "core" / "metadata" / "registry.json"

# Lists whose order carries no meaning: element -> key element ("" = sort by canonical text).
# Nested lists are written "parent/child" relative to the file's root element.
_PERMS = {
    "applicationVisibilities": "application",
    "categoryGroupVisibilities": "dataCategoryGroup",
    "classAccesses": "apexClass",
    "customMetadataTypeAccesses": "name",
    "customPermissions": "name",
    "customSettingAccesses": "name",
    "emailRoutingAddressAccesses": "name",
    "externalCredentialPrincipalAccesses": "externalCredentialPrincipal",
    "externalDataSourceAccesses": "externalDataSource",
    "fieldPermissions": "field",
    "flowAccesses": "flow",
    "objectPermissions": "object",
    "pageAccesses": "apexPage",
    "recordTypeVisibilities": "recordType",
    "servicePresenceStatusAccesses": "servicePresenceStatus",
    "userPermissions": "name",
}
UNORDERED: dict[str, dict[str, str]] = {
    "Profile": {
        **_PERMS,
        "layoutAssignments": "layout",
        "loginIpRanges": "startAddress",
        "profileActionOverrides": "actionName",
        "tabVisibilities": "tab",
    },
    "PermissionSet": {**_PERMS, "tabSettings": "tab"},
    "MutingPermissionSet": {**_PERMS, "tabSettings": "tab"},
    "PermissionSetGroup": {"permissionSets": "", "mutingPermissionSets": ""},
    "Queue": {"queueSobject": "sobjectType", "queueMembers/users/user": "",
              "queueMembers/roles/role": "", "queueMembers/groups/group": "",
              "queueMembers/roleAndSubordinates/roleAndSubordinate": ""},
    "CustomObject": {"recordTypes/picklistValues": "picklist"},
    "RecordType": {"picklistValues": "picklist"},
    "CustomApplication": {"profileActionOverrides": "profile"},
    "Group": {},
}

# Main file of a new bundle, relative to its folder ("{n}" = the bundle name).
BUNDLE_MAIN = {"LightningComponentBundle": "{n}.js-meta.xml", "AuraDefinitionBundle": "{n}.cmp-meta.xml",
               "ExperienceBundle": "{n}.site-meta.xml"}
# Content types whose fullName keeps the content file's own extension (documents/F/logo.png).
NAME_HAS_EXTENSION = {"Document"}

# Types whose mdapi-format files are bundles even though SDR calls them mixedContent.
BUNDLE_ADAPTERS = {"bundle", "digitalExperience", "uiBundles"}


def _strategy(t: dict) -> tuple[str, bool]:
    """(strategy, meta_file) in Metadata API format."""
    adapter = (t.get("strategies") or {}).get("adapter")
    if t.get("folderContentType"):
        return "folder", True
    if adapter in BUNDLE_ADAPTERS or (adapter == "mixedContent" and not t.get("suffix")):
        return "bundle", False
    if adapter in ("matchingContentFile", "mixedContent"):
        return "content", True
    return "xml", False


def build(sdr: dict) -> dict:
    by_id = sdr["types"]
    out: list[dict] = []
    for t in sorted(by_id.values(), key=lambda t: t["name"]):
        if t.get("aliasFor"):
            continue
        strategy, meta_file = _strategy(t)
        folder_type = None
        if t.get("inFolder") and t.get("folderType") in by_id:
            folder_type = by_id[t["folderType"]]["name"]
        children = []
        child_entries = []
        ch = t.get("children") or {}
        if strategy == "xml":
            for c in ch.get("types", {}).values():
                if c.get("isAddressable") is False:  # only a part of its parent in mdapi format
                    continue
                xml_element = c.get("xmlElementName") or c["directoryName"]
                key = c.get("uniqueIdElement") or "fullName"
                qualified = not c.get("ignoreParentName", False)
                children.append({"type_name": c["name"], "xml_element": xml_element,
                                 "key_element": key, "qualified": qualified})
                child_entries.append({
                    "name": c["name"], "directory": t["directoryName"],
                    "suffix": t.get("suffix"), "meta_file": False, "in_folder": False,
                    "folder_type": None, "strategy": "xml", "children": [],
                    "unordered": UNORDERED.get(c["name"], {}), "parent": t["name"],
                })
            children.sort(key=lambda c: c["xml_element"])
        unordered = dict(UNORDERED.get(t["name"], {}))
        for c in children:  # child groups are sorted by their key, like Salesforce writes them
            unordered.setdefault(c["xml_element"], c["key_element"])
        in_folder = bool(t.get("inFolder")) and folder_type is not None
        out.append({
            "name": t["name"], "directory": t["directoryName"], "suffix": t.get("suffix"),
            "meta_file": meta_file, "in_folder": in_folder, "folder_type": folder_type,
            "strategy": strategy, "children": children, "unordered": unordered, "parent": None,
            "name_has_extension": t["name"] in NAME_HAS_EXTENSION,
            "bundle_main": BUNDLE_MAIN.get(t["name"]) if strategy == "bundle" else None,
        })
        out.extend(child_entries)
    return {"source": "forcedotcom/source-deploy-retrieve metadataRegistry.json + sfenv facts",
            "types": out}


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_SDR
    data = build(json.loads(src.read_text()))
    if OUT.exists():  # the source-format facts are tools/gen_source_types.py's part: keep them
        kept = json.loads(OUT.read_text()).get("source_format")
        if kept is not None:
            data["source_format"] = kept
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT} ({len(data['types'])} types)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
