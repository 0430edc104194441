"""The Metadata API's synchronous CRUD calls: createMetadata, updateMetadata, upsertMetadata,
deleteMetadata, renameMetadata.

Each item goes through the deploy engine as a one-component deploy (so the same checks
apply as to a zip deploy, and a real org refuses nothing the local org accepts here that it
would refuse there), and gets its own result: `SaveResult` / `UpsertResult` / `DeleteResult`
`{errors: [{message, statusCode}], fullName, success}`. As on Salesforce: at most 10 items
a call; only XML types (and their child types, `CustomField` `Account.Region__c`) are
accepted, content types such as ApexClass are refused with INVALID_TYPE; create refuses an
existing component, update and delete a missing one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.core.metadata.xmlio import local_name, write_xml
from sfenv.core.metadata.ziputil import write_zip
from sfenv.localorg.mdapi import envelope as s
from sfenv.localorg.mdapi.audit import audit_deploy
from sfenv.localorg.mdapi.deploy import DeployOptions, apply_plan, plan_deploy
from sfenv.localorg.soap import SoapFault
from sfenv.localorg.state import OrgState, User
from sfenv.localorg.state.inventory import Inventory

MAX_ITEMS = 10
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
NS = "http://soap.sforce.com/2006/04/metadata"


@dataclass
class Outcome:
    full_name: str
    errors: list[tuple[str, str]]      # (statusCode, message)
    created: bool = False


def metadata_type(node: etree._Element) -> str:
    """`CustomObject` of `<metadata xsi:type="tns:CustomObject">`."""
    value = node.get(XSI_TYPE) or ""
    return value.split(":", 1)[-1]


def _full_name(node: etree._Element) -> str:
    return (s.child_text(node, "fullName") or "").strip()


def check_count(items: list, operation: str) -> None:
    if len(items) > MAX_ITEMS:
        raise SoapFault("LIMIT_EXCEEDED", f"{operation}: the request has {len(items)} "
                        f"components, the maximum is {MAX_ITEMS}")


class Crud:
    """One call's items over one org; `inventory()` gives the org's current inventory."""

    def __init__(self, org: OrgState, user: User, registry: Registry,
                 inventory: Callable[[], Inventory]) -> None:
        self.org, self.user, self.registry, self.inventory = org, user, registry, inventory

    # --- the calls ----------------------------------------------------------------------
    def save(self, nodes: list[etree._Element], mode: str) -> list[Outcome]:
        """create / update / upsert of `<metadata>` items."""
        outcomes = []
        for node in nodes:
            type_name, name = metadata_type(node), _full_name(node)
            outcomes.append(self._save_one(node, type_name, name, mode))
        return outcomes

    def delete(self, type_name: str, names: list[str]) -> list[Outcome]:
        return [self._delete_one(type_name, name) for name in names]

    def rename(self, type_name: str, old: str, new: str) -> Outcome:
        cid = ComponentId(type_name, old)
        problem = self._refuse_type(type_name, new) or self._missing(cid)
        if problem:
            return Outcome(new, [problem])
        if self._exists(ComponentId(type_name, new)):
            return Outcome(new, [("DUPLICATE_DEVELOPER_NAME",
                                  f"There is already a {type_name} named {new}")])
        xml = self._component_xml(cid)
        if xml is None:
            return Outcome(new, [("INVALID_TYPE", f"{type_name} cannot be renamed")])
        node = copy.deepcopy(xml)
        fn = s.child(node, "fullName")
        if fn is not None:
            fn.text = new.split(".", 1)[-1] if self.registry.child(type_name) else new
        created = self._deploy(type_name, new, node)
        if created:
            return Outcome(new, created)
        deleted = self._deploy_delete(type_name, old)
        return Outcome(new, deleted)

    # --- one item -----------------------------------------------------------------------
    def _save_one(self, node: etree._Element, type_name: str, name: str, mode: str) -> Outcome:
        if not name:
            return Outcome(name, [("FIELD_INTEGRITY_EXCEPTION", "fullName is required")])
        problem = self._refuse_type(type_name, name)
        if problem:
            return Outcome(name, [problem])
        cid = ComponentId(type_name, name)
        exists = self._exists(cid)
        if mode == "create" and exists:
            return Outcome(name, [("DUPLICATE_DEVELOPER_NAME",
                                   f"There is already a {type_name} named {name}")])
        if mode == "update" and not exists:
            return Outcome(name, self._missing_list(cid))
        return Outcome(name, self._deploy(type_name, name, node), created=not exists)

    def _delete_one(self, type_name: str, name: str) -> Outcome:
        problem = self._refuse_type(type_name, name) or self._missing(
            ComponentId(type_name, name))
        if problem:
            return Outcome(name, [problem])
        return Outcome(name, self._deploy_delete(type_name, name))

    # --- checks -------------------------------------------------------------------------
    def _refuse_type(self, type_name: str, name: str) -> tuple[str, str] | None:
        mtype = self.registry.find(type_name)
        if mtype is None:
            return ("INVALID_TYPE", f"Unknown type: {type_name}")
        if mtype.parent:
            if "." not in name and self.registry.child(type_name) and \
                    self.registry.child(type_name)[1].qualified:  # type: ignore[index]
                return ("INVALID_CROSS_REFERENCE_KEY",
                        f"In field: fullName - {type_name} {name} has no parent")
            return None
        if not mtype.handler.compares_elements or mtype.in_folder:
            return ("INVALID_TYPE", f"Cannot use CRUD calls on type {type_name}: deploy it")
        return None

    def _exists(self, cid: ComponentId) -> bool:
        inv = self.inventory()
        if self.registry.child(cid.type):
            return inv.find_child(cid) is not None
        return cid in inv.by_component

    def _missing(self, cid: ComponentId) -> tuple[str, str] | None:
        return None if self._exists(cid) else self._missing_list(cid)[0]

    @staticmethod
    def _missing_list(cid: ComponentId) -> list[tuple[str, str]]:
        return [("INVALID_CROSS_REFERENCE_KEY",
                 f"In field: fullName - no {cid.type} named {cid.full_name} found")]

    def _component_xml(self, cid: ComponentId) -> etree._Element | None:
        inv = self.inventory()
        found = self.registry.child(cid.type)
        if found is not None:
            parent = inv.find_child(cid)
            if parent is None:
                return None
            piece = next((p for p in inv.pieces(parent) if p.id == cid), None)
            return etree.fromstring(piece.xml) if piece is not None else None
        if cid not in inv.by_component:
            return None
        return etree.fromstring(inv.read(inv.main_file(cid)))

    # --- through the deploy engine ------------------------------------------------------
    def _file_of(self, type_name: str, name: str, node: etree._Element) -> tuple[str, bytes]:
        """The Metadata API file one item stands for (a child inside its parent's file)."""
        body = [copy.deepcopy(c) for c in node if isinstance(c.tag, str)]
        found = self.registry.child(type_name)
        if found is not None:
            parent_type, spec = found
            parent_name, _, child_name = name.rpartition(".") if spec.qualified else ("", "", name)
            parent_id = (ComponentId(parent_type.name, parent_name) if spec.qualified
                         else self.registry.parent_id(ComponentId(type_name, name)))
            root = etree.Element(f"{{{NS}}}{parent_type.name}", nsmap={None: NS})
            child = etree.SubElement(root, f"{{{NS}}}{spec.xml_element}")
            for item in body:
                if local_name(item) == "fullName":
                    item.text = child_name
                child.append(_qualified(item))
            return self.registry.expected_path(parent_id), write_xml(root)
        root = etree.Element(f"{{{NS}}}{type_name}", nsmap={None: NS})
        for item in body:
            if local_name(item) != "fullName":
                root.append(_qualified(item))
        return self.registry.expected_path(ComponentId(type_name, name)), write_xml(root)

    def _deploy(self, type_name: str, name: str, node: etree._Element) -> list[tuple[str, str]]:
        path, data = self._file_of(type_name, name, node)
        return self._run({"package.xml": _package(type_name, name), path: data})

    def _deploy_delete(self, type_name: str, name: str) -> list[tuple[str, str]]:
        return self._run({"package.xml": _package(None, None),
                          "destructiveChanges.xml": _package(type_name, name)})

    def _run(self, files: dict[str, bytes]) -> list[tuple[str, str]]:
        org = self.org
        with org.lock:
            plan = plan_deploy(self.inventory(), write_zip(files), DeployOptions(),
                               is_sandbox=org.is_sandbox)
            if not plan.ok:
                problems = [("FIELD_INTEGRITY_EXCEPTION", f.problem) for f in plan.failures
                            if f.problem_type == "Error"]
                return problems or [("UNKNOWN_EXCEPTION", plan.error_message or "failed")]
            apply_plan(org.metadata_dir, plan, org.metadata_dir / ".localorg" / "staging")
            org.touch_components(plan.touched(), self.user)
            org.forget_components(plan.removed(), self.user)
            audit_deploy(org, plan, self.user)
            org.save()
        return []


def _qualified(node: etree._Element) -> etree._Element:
    """The element and its children in the Metadata namespace (a SOAP body may use a prefix)."""
    for item in node.iter():
        if isinstance(item.tag, str):
            item.tag = f"{{{NS}}}{local_name(item)}"
            item.attrib.pop(XSI_TYPE, None)
    etree.cleanup_namespaces(node)
    return node


def _package(type_name: str | None, name: str | None) -> bytes:
    types = (f"<types><members>{_escape(name or '')}</members><name>{type_name}</name></types>"
             if type_name else "")
    return (f'<?xml version="1.0" encoding="UTF-8"?><Package xmlns="{NS}">{types}'
            "<version>62.0</version></Package>").encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def save_results(operation: str, outcomes: list[Outcome], *, upsert: bool = False
                 ) -> etree._Element:
    """`<createMetadataResponse><result>…` one result per item, in request order."""
    results = []
    for outcome in outcomes:
        result = s.result_el()
        if upsert:
            s.add(result, "created", outcome.created and not outcome.errors)
        for code, message in outcome.errors:
            error = s.add(result, "errors")
            s.add_fields(error, [("message", message), ("statusCode", code)])
        s.add(result, "fullName", outcome.full_name)
        s.add(result, "success", not outcome.errors)
        results.append(result)
    return s.response(operation, *results)
