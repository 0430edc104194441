"""What a component needs to exist in an org: the components its XML (or code) names.

Why: a release must carry, or find in the target, everything its components reference
(a field needs its object, a layout its fields, a sharing rule its groups and roles).
Standard objects and fields are returned too: the caller decides (with `is_standard`)
what the standard schema already provides. One small handler per type, in a table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from lxml import etree

from sfenv.core.metadata.components import Piece
from sfenv.core.metadata.ids import ID_ORDER, ComponentId
from sfenv.core.metadata.profiles import section_entries
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import NS, child_text, local_name, parse_xml

C = ComponentId
_CUSTOM_SUFFIX = re.compile(r"__(c|r|mdt|e|x|b|kav|share|history|feed|chn|xo|hd|dlm|dll)$", re.I)
_TOKEN = re.compile(r"\$?[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|/\*.*?\*/', re.S)
_TRIGGER = re.compile(rb"\btrigger\s+\w+\s+on\s+(\w+)", re.I)

_WORKFLOW_ACTIONS = {"FieldUpdate": "WorkflowFieldUpdate", "Alert": "WorkflowAlert",
                     "Task": "WorkflowTask", "OutboundMessage": "WorkflowOutboundMessage",
                     "FlowAction": "WorkflowFlowAction", "Send": "WorkflowSend",
                     "KnowledgePublish": "WorkflowKnowledgePublish"}
# Elements naming a role, group or queue (sharing rules' sharedTo/sharedFrom, queue members).
SHARED_TO = {"role": "Role", "roleAndSubordinates": "Role", "roleAndSubordinatesInternal": "Role",
              "group": "Group", "queue": "Queue", "roles": "Role", "groups": "Group",
              "queues": "Queue", "roleAndSubordinate": "Role"}


def is_standard(cid: ComponentId) -> bool:
    """True for what every org has: standard objects, their standard fields, standard tabs."""
    name = cid.full_name
    if cid.type == "CustomObject":
        return not _CUSTOM_SUFFIX.search(name)
    if cid.type == "CustomField":
        return not _CUSTOM_SUFFIX.search(name.rsplit(".", 1)[-1])
    if cid.type == "CustomTab":
        return name.startswith("standard-")
    return cid.type == "StandardValueSet"


def _text(el: etree._Element, name: str) -> str:
    return child_text(el, name) or ""


def _all(el: etree._Element, name: str) -> Iterator[etree._Element]:
    yield from el.iter(f"{{{NS}}}{name}", name)


def _object_of(piece: Piece) -> str:
    """The object a child piece or an object-named file belongs to."""
    return piece.id.full_name.split(".", 1)[0]


def _field(obj: str, name: str) -> ComponentId:
    return C("CustomField", name if "." in name else f"{obj}.{name}")


def formula_fields(formula: str, obj: str) -> set[ComponentId]:
    """Fields a formula names: `Field__c`, `Obj.Field` of the same object, and the lookup field
    behind a `Rel__r.` traversal. A token scan, not a parser: string literals are skipped."""
    found: set[ComponentId] = set()
    for token in _TOKEN.findall(_STRINGS.sub(" ", formula)):
        if token.startswith("$"):
            continue
        parts = token.split(".")
        if len(parts) == 1:
            if parts[0].lower().endswith("__c"):
                found.add(_field(obj, parts[0]))
            continue
        head, second = parts[0], parts[1]
        if head == obj:
            found.add(_field(obj, second))
        elif head.lower().endswith("__r"):
            found.add(_field(obj, head[:-3] + "__c"))
    return found


# --- handlers: (piece, parsed root) -> references ----------------------------------------

@dataclass(frozen=True)
class Reference:
    """A component a piece names, and the element naming it ("" when implied: a child's object)."""

    element: str
    component: ComponentId


class _Found:
    """References in the order the XML names them, each (element, component) once."""

    def __init__(self, *implied: ComponentId) -> None:
        self.items: dict[Reference, None] = {Reference("", c): None for c in implied}

    def add(self, element: str, cid: ComponentId) -> None:
        self.items.setdefault(Reference(element, cid), None)

    def extend(self, element: str, cids: Iterable[ComponentId]) -> None:
        for cid in sorted(cids, key=ID_ORDER):
            self.add(element, cid)

    def texts(self, root: etree._Element, element: str, make: Callable[[str], ComponentId]) -> None:
        """Every leaf `element` below root (any depth) naming a component."""
        for el in _all(root, element):
            if len(el) == 0 and el.text and el.text.strip():
                self.add(element, make(el.text.strip()))


def _custom_field(piece: Piece, root: etree._Element) -> _Found:
    obj = _object_of(piece)
    refs = _Found(C("CustomObject", obj))
    refs.texts(root, "referenceTo", lambda t: C("CustomObject", t))
    for name in ("formula", "summaryFilterItems", "defaultValue"):
        for el in _all(root, name):
            # lxml-stubs 0.5.1 types itertext() as str | bytes; lxml yields str
            text = "".join(el.itertext())  # type: ignore[arg-type]
            refs.extend(name, formula_fields(text, obj))
    for name in ("summarizedField", "summaryForeignKey"):
        value = _text(root, name)
        if value:
            refs.add(name, _field(obj, value))
    refs.texts(root, "valueSetName", lambda t: C("GlobalValueSet", t))
    return refs


# every element `_custom_field` reads (a superset test on the bytes: a name in text only costs a parse)
_FIELD_READS = (b"referenceTo", b"formula", b"summaryFilterItems", b"defaultValue",
                b"summarizedField", b"summaryForeignKey", b"valueSetName")


def _formula_and_field(formula: str, field: str) -> Callable[[Piece, etree._Element], _Found]:
    """A handler for a child of an object that holds a formula and names one field
    (validation rule: errorConditionFormula + errorDisplayField; field update: formula + field)."""
    def handler(piece: Piece, root: etree._Element) -> _Found:
        obj = _object_of(piece)
        refs = _Found(C("CustomObject", obj))
        refs.extend(formula, formula_fields(_text(root, formula), obj))
        named = _text(root, field)
        if named:
            refs.add(field, _field(obj, named))
        return refs
    return handler


_validation_rule = _formula_and_field("errorConditionFormula", "errorDisplayField")
_workflow_field_update = _formula_and_field("formula", "field")


def _record_type(piece: Piece, root: etree._Element) -> _Found:
    obj = _object_of(piece)
    refs = _Found(C("CustomObject", obj))
    process = _text(root, "businessProcess")
    if process:
        refs.add("businessProcess", C("BusinessProcess", f"{obj}.{process}"))
    refs.texts(root, "picklist", lambda t: _field(obj, t))
    return refs


def _layout(piece: Piece, root: etree._Element) -> _Found:
    obj = piece.id.full_name.split("-", 1)[0]
    refs = _Found(C("CustomObject", obj))
    for item in _all(root, "layoutItems"):
        field = _text(item, "field")
        if field:
            refs.add("field", _field(obj, field))
    refs.texts(root, "customButtons", lambda t: C("WebLink", f"{obj}.{t}"))
    return refs


def _permissions(piece: Piece, root: etree._Element, registry: Registry) -> _Found:
    """A profile's or permission set's entries (the registry's `sections`): what each grants."""
    refs = _Found()
    for el, cid in section_entries(root, registry.get(piece.id.type)):
        refs.add(local_name(el), cid)
        if "." in cid.full_name:  # a field or record type needs its object
            refs.add("", registry.parent_id(cid))
    return refs


def _sharing_rule(piece: Piece, root: etree._Element) -> _Found:
    obj = _object_of(piece)
    refs = _Found(C("CustomObject", obj))
    for holder in ("sharedTo", "sharedFrom"):
        for block in _all(root, holder):
            for el in block:
                kind = SHARED_TO.get(local_name(el))
                if kind and el.text and el.text.strip():
                    refs.add(holder, C(kind, el.text.strip()))
    for item in _all(root, "criteriaItems"):
        field = _text(item, "field")
        if field:
            refs.add("field", _field(obj, field))
    return refs


def _queue(piece: Piece, root: etree._Element) -> _Found:
    refs = _Found()
    for members in _all(root, "queueMembers"):
        for el in members.iter():
            kind = SHARED_TO.get(local_name(el))
            if kind and len(el) == 0 and el.text and el.text.strip():
                refs.add(local_name(el), C(kind, el.text.strip()))
    refs.texts(root, "sobjectType", lambda t: C("CustomObject", t))
    return refs


def _role(piece: Piece, root: etree._Element) -> _Found:
    refs = _Found()
    parent = _text(root, "parentRole")
    if parent:
        refs.add("parentRole", C("Role", parent))
    return refs


def _trigger(piece: Piece) -> _Found:
    refs = _Found()
    for path, data in piece.files:
        if path.endswith(".trigger"):
            match = _TRIGGER.search(data)
            if match:
                refs.add("", C("CustomObject", match.group(1).decode()))
                break
    return refs


def _flow(piece: Piece, root: etree._Element) -> _Found:
    refs = _Found()
    for holder in root.iter():
        if not isinstance(holder.tag, str):
            continue
        obj_el = holder.find(f"{{{NS}}}object")
        obj = "" if obj_el is None else (obj_el.text or "").strip()
        if obj_el is None or not obj or len(obj_el):
            continue
        refs.add("object", C("CustomObject", obj))
        for name in ("field", "queriedFields"):
            refs.texts(holder, name, partial(_field, obj))
    return refs


def _workflow_rule(piece: Piece, root: etree._Element) -> _Found:
    obj = _object_of(piece)
    refs = _Found(C("CustomObject", obj))
    refs.extend("formula", formula_fields(_text(root, "formula"), obj))
    for item in _all(root, "criteriaItems"):
        field = _text(item, "field")
        if field:
            refs.add("field", _field(obj, field))
    for action in _all(root, "actions"):
        kind = _WORKFLOW_ACTIONS.get(_text(action, "type"))
        name = _text(action, "name")
        if kind and name:
            refs.add("actions", C(kind, f"{obj}.{name}"))
    return refs


def _workflow_alert(piece: Piece, root: etree._Element) -> _Found:
    refs = _Found(C("CustomObject", _object_of(piece)))
    template = _text(root, "template")
    if template:
        refs.add("template", C("EmailTemplate", template))
    return refs


def _field_list(piece: Piece, root: etree._Element) -> _Found:
    obj = _object_of(piece)
    refs = _Found(C("CustomObject", obj))
    for name in ("fields", "field", "columns"):
        refs.texts(root, name, lambda t: _field(obj, t))
    return refs


Handler = Callable[[Piece, etree._Element], _Found]
HANDLERS: dict[str, Handler] = {
    "CustomField": _custom_field,
    "ValidationRule": _validation_rule,
    "RecordType": _record_type,
    "Layout": _layout,
    "SharingCriteriaRule": _sharing_rule,
    "SharingOwnerRule": _sharing_rule,
    "SharingGuestRule": _sharing_rule,
    "SharingTerritoryRule": _sharing_rule,
    "Queue": _queue,
    "Role": _role,
    "Flow": _flow,
    "WorkflowFieldUpdate": _workflow_field_update,
    "WorkflowRule": _workflow_rule,
    "WorkflowAlert": _workflow_alert,
    "CompactLayout": _field_list,
    "FieldSet": _field_list,
    "ListView": _field_list,
}
# types read from their code files, not their XML (which may be missing)
_NEEDS_NO_XML: dict[str, Callable[[Piece], _Found]] = {"ApexTrigger": _trigger}


def named_references(piece: Piece, registry: Registry | None = None) -> list[Reference]:
    """What `piece` names and needs to exist (never itself), with the element naming each, in
    document order. The local org's deploy checks and release dependencies both read this.
    Types with permission sections (the registry's `sections`: profiles, permission sets) are
    read by what their entries grant."""
    registry = registry or default_registry()
    if piece.id.type in registry.section_types():
        if not piece.xml:
            return []
        root_el = parse_xml(piece.xml, str(piece.id))
        return [r for r in _permissions(piece, root_el, registry).items if r.component != piece.id]
    if piece.id.type == "CustomField" and piece.xml and not any(
            name in piece.xml for name in _FIELD_READS):
        # a field naming none of the elements `_custom_field` reads needs only its object:
        # 115,000 of a 60k plan's fields were parsed to learn that (pieces come from parsed files)
        return [Reference("", C("CustomObject", _object_of(piece)))]
    handler = HANDLERS.get(piece.id.type)
    code_handler = _NEEDS_NO_XML.get(piece.id.type)
    if code_handler is not None:
        found = code_handler(piece)
    elif handler is None:
        # children of object-named files (fields, workflow rules...) need at least their object
        obj = registry.object_of_child(piece.id)
        return [Reference("", C("CustomObject", obj))] if obj else []
    elif not piece.xml:
        return []
    else:
        found = handler(piece, parse_xml(piece.xml, str(piece.id)))
    own = {piece.id}
    if piece.id.type == "CustomField":  # a formula naming its own field is no dependency
        own.add(_field(_object_of(piece), piece.id.full_name))
    return [r for r in found.items if r.component not in own]


def references(piece: Piece, registry: Registry | None = None) -> set[ComponentId]:
    """The components `piece` names and needs to exist (never itself)."""
    return {r.component for r in named_references(piece, registry)}
