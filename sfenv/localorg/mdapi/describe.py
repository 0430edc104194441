"""describeMetadata, listMetadata and readMetadata over the org folder and the registry."""

from __future__ import annotations

import copy

from lxml import etree

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.localorg.mdapi import envelope as s
from sfenv.localorg.mdapi.retrieve import UNFILED
from sfenv.localorg.soap import SoapFault
from sfenv.localorg.state.ids import component_id
from sfenv.localorg.state.inventory import Inventory

MAX_LIST_QUERIES = 3
MAX_READ_NAMES = 10
# Types listMetadata answers with nothing, as Salesforce does (clients ask for known names).
UNLISTABLE = frozenset({"StandardValueSet"})


# describeMetadata's answer for the shipped registry (immutable), per sandbox flag: every pull
# asks for it and building it took ~8 ms of CPU; a copy of the one built is ~0.8 ms.
_DESCRIBED: dict[bool, etree._Element] = {}


def describe_metadata(registry: Registry, *, is_sandbox: bool) -> etree._Element:
    """DescribeMetadataResult: one metadataObjects per top-level type (folders are not types
    of their own in describe: Report says inFolder=true). The caller gets its own tree."""
    if registry is not default_registry():
        return _describe(registry, is_sandbox=is_sandbox)
    built = _DESCRIBED.get(is_sandbox)
    if built is None:  # two threads may both build it: the same answer either way
        built = _DESCRIBED.setdefault(is_sandbox, _describe(registry, is_sandbox=is_sandbox))
    return copy.deepcopy(built)


def _describe(registry: Registry, *, is_sandbox: bool) -> etree._Element:
    result = s.result_el()
    for mtype in sorted(registry.all(), key=lambda t: t.name):
        if mtype.handler.is_folder:
            continue
        obj = s.add(result, "metadataObjects")
        s.add_fields(obj, [
            ("childXmlNames", [c.type_name for c in mtype.children]),
            ("directoryName", mtype.directory),
            ("inFolder", mtype.in_folder),
            ("metaFile", mtype.meta_file),
            ("suffix", mtype.suffix),
            ("xmlName", mtype.name),
        ])
    s.add_fields(result, [
        ("organizationNamespace", ""),
        ("partialSaveAllowed", True),
        ("testRequired", not is_sandbox),
    ])
    return s.response("describeMetadata", result)


def file_properties(org, parent: etree._Element, cid: ComponentId, file_name: str,
                    tag: str = "result") -> etree._Element:
    """A FileProperties element (WSDL order) with dates and users from the org state."""
    props = org.component_props(str(cid))
    node = s.add(parent, tag)
    s.add_fields(node, [
        ("createdById", props["createdById"]),
        ("createdByName", props["createdByName"]),
        ("createdDate", props["createdDate"]),
        ("fileName", file_name),
        ("fullName", cid.full_name),
        ("id", component_id(org.org_id, cid.type, cid.full_name)),
        ("lastModifiedById", props["lastModifiedById"]),
        ("lastModifiedByName", props["lastModifiedByName"]),
        ("lastModifiedDate", props["lastModifiedDate"]),
        ("manageableState", "unmanaged"),
        ("type", cid.type),
    ])
    return node


def list_components(inv: Inventory, type_name: str, folder: str | None) -> list[tuple[ComponentId, str]]:
    """(component, fileName) answering one ListMetadataQuery."""
    registry = inv.registry
    mtype = registry.find(type_name)
    if mtype is None:
        raise SoapFault(
            "INVALID_TYPE", f"Unknown type name '{type_name}' specified in ListMetadataQuery"
        )
    if mtype.parent:
        return [(kid, inv.main_file(parent)) for kid, parent in inv.children_of_type(type_name)]
    if type_name in UNLISTABLE:
        return []
    found = inv.of_type(type_name)
    if mtype.handler.is_folder:  # the unfiled folder is no folder component
        found = [c for c in found if c.full_name != UNFILED]
    if mtype.in_folder:
        wanted = folder or UNFILED
        found = [c for c in found if c.full_name.rsplit("/", 1)[0] == wanted]
    return [(cid, inv.main_file(cid)) for cid in found]


def list_metadata(org, inv: Inventory, queries: list[tuple[str, str | None]]) -> etree._Element:
    if len(queries) > MAX_LIST_QUERIES:
        raise SoapFault(
            "LIMIT_EXCEEDED",
            f"Too many queries in listMetadata, limit is: {MAX_LIST_QUERIES}",
        )
    body = s.response("listMetadata")
    seen: set[ComponentId] = set()
    for type_name, folder in queries:
        for cid, file_name in list_components(inv, type_name, folder):
            if cid in seen:
                continue
            seen.add(cid)
            file_properties(org, body, cid, file_name)
    return body


def read_metadata(inv: Inventory, type_name: str, full_names: list[str]) -> etree._Element:
    """ReadResult: `<records xsi:type="Role">` with the component's XML content, for any XML
    type (whole components, and child components such as CustomField). Missing names are
    left out, as Salesforce does."""
    registry = inv.registry
    mtype = registry.find(type_name)
    if mtype is None:
        raise SoapFault("INVALID_TYPE", f"Unknown type name '{type_name}' specified in readMetadata")
    if len(full_names) > MAX_READ_NAMES:
        raise SoapFault("LIMIT_EXCEEDED", f"Too many full names, limit is: {MAX_READ_NAMES}")
    result = s.result_el()
    for name in full_names:
        root = _component_xml(inv, ComponentId(type_name, name))
        if root is None:
            continue
        record = s.add(result, "records")
        record.set(f"{{{s.XSI_NS}}}type", type_name)
        s.add(record, "fullName", name)
        for elem in root:
            if isinstance(elem.tag, str) and local_name(elem) != "fullName":
                record.append(_in_md_ns(copy.deepcopy(elem)))
    return s.response("readMetadata", result)


def _component_xml(inv: Inventory, cid: ComponentId) -> etree._Element | None:
    mtype = inv.registry.find(cid.type)
    if mtype is not None and mtype.parent:
        parent = inv.find_child(cid)
        if parent is None:
            return None
        piece = next(p for p in inv.pieces(parent) if p.id == cid)
        return parse_xml(piece.xml, str(cid))
    if cid not in inv.by_component or mtype is None or not (
            mtype.handler.compares_elements or mtype.handler.is_folder):
        return None
    path = inv.main_file(cid)
    if mtype.handler.is_folder:
        path = next(p for p in inv.by_component[cid])
    return parse_xml(inv.read(path), path)


def _in_md_ns(elem: etree._Element) -> etree._Element:
    """Move an element tree into the metadata namespace (files use it as default already)."""
    for node in elem.iter():
        if isinstance(node.tag, str):
            node.tag = s.q(local_name(node))
    return elem
