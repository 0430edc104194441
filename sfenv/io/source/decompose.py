"""Decomposed types (CustomObject, CustomObjectTranslation, Bot): one source file per child.

Source: `objects/Account/Account.object-meta.xml` (the object without its children) and
`objects/Account/fields/Region__c.field-meta.xml` (root `<CustomField>`). Metadata API:
`objects/Account.object` with `<fields>` elements. Child groups are placed among the parent's
own elements' end, grouped by element name, each group ordered by the child's name the way a
locale-aware comparison orders it (`Picture__c` before `Picture_IMG__c`): what the Salesforce
CLI's `project convert source` writes (checked against its output).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from sfenv.core.metadata.registry import META
from sfenv.core.metadata.source_format import Decomposed
from sfenv.core.metadata.xmlio import DECLARATION, NS, local_name, parse_xml, write_xml
from sfenv.errors import MetadataError

Q = f"{{{NS}}}"


@dataclass(frozen=True)
class Keyless:
    """A child file without the element naming it (a field file holding only `<label>`): the
    Metadata API file keeps it, and whatever needs its name refuses the file later with
    `problem`; `message` names the source file instead, for that refusal."""

    problem: str  # as the later refusal words it: "<fields> without <fullName>"
    message: str  # "force-app/…/X.field-meta.xml:1: not a CustomField file (no <fullName> …)"


def compose(parent: Decomposed, name: str, suffix: str, parent_xml: bytes | None,
            children: Mapping[str, bytes], source: str,
            keyless: list[Keyless] | None = None) -> bytes:
    """The Metadata API file of one decomposed component.

    `children`: source path -> bytes of each child file (its suffix names the child type).
    `keyless` collects the children without their key (converted as they are).
    """
    root = parse_xml(parent_xml, source) if parent_xml is not None else etree.Element(
        Q + parent.parent, nsmap={None: NS})  # type: ignore[dict-item]  # lxml-stubs refuse None
    groups: dict[str, list[etree._Element]] = {}
    for path in sorted(children):
        stem = path.rsplit("/", 1)[-1][: -len(META)]
        child = parent.by_suffix(stem.rsplit(".", 1)[-1])
        if child is None:
            continue
        doc = parse_xml(children[path], path)
        element = etree.Element(Q + child.element)
        element.text = doc.text
        for node in doc:
            element.append(qualified(copy.deepcopy(node)))
        if keyless is not None and not (element.findtext(Q + child.key) or "").strip():
            keyless.append(Keyless(f"<{child.element}> without <{child.key}>",
                                   f"{path}:{doc.sourceline or 1}: not a {child.type} file "
                                   f"(no <{child.key}> in <{local_name(doc)}>)"))
        groups.setdefault(child.element, []).append(element)
    for element_name in sorted(groups):
        key = parent.by_element(element_name).key
        for element in sorted(groups[element_name],
                              key=lambda el, key=key: locale_key(el.findtext(Q + key) or "")):
            root.append(element)
    _reindent(root)
    return write_xml(root)


def qualified(element: etree._Element) -> etree._Element:
    """Elements of a file written without the metadata namespace (some presets), put in it."""
    for node in element.iter():
        if isinstance(node.tag, str) and not node.tag.startswith("{"):
            node.tag = Q + node.tag
    return element


def locale_key(text: str) -> tuple:
    """An approximation of ICU's root collation (JavaScript's localeCompare): punctuation
    before digits before letters, case-insensitive first, lower case before upper on ties."""
    primary = tuple((2 if c.isalpha() else 1 if c.isdigit() else 0, c.casefold()) for c in text)
    return primary, tuple(0 if c.islower() else 1 for c in text)


def _reindent(root: etree._Element) -> None:
    """write_xml re-indents; drop stray tails so moved elements carry no old whitespace."""
    for node in root:
        node.tail = None


def decompose(parent: Decomposed, name: str, suffix: str, data: bytes, source: str,
              directory: str) -> dict[str, bytes]:
    """Source files of one Metadata API file: `<dir>/<name>/<name>.<suffix>-meta.xml` + children."""
    root = parse_xml(data, source)
    base = f"{directory}/{name}"
    out: dict[str, bytes] = {}
    for node in list(root):
        if not isinstance(node.tag, str):
            continue
        child = parent.by_element(local_name(node))
        if child is None:
            continue
        key = node.findtext(Q + child.key)
        if not key:
            continue  # an element without a name cannot be a file; it stays in the parent
        if "/" in key or "\\" in key or "\0" in key or key in (".", ".."):
            raise MetadataError(f"{source}: {child.type} {name}.{key!r} is not a Salesforce "
                                "name (it would be a file outside its folder); refused")
        doc = etree.Element(Q + child.type, nsmap={None: NS})  # type: ignore[dict-item]  # lxml-stubs refuse None
        doc.text = node.text
        for sub in node:
            doc.append(copy.deepcopy(sub))
        folder = f"{base}/{child.directory}" if parent.decomposition == "folderPerType" else base
        out[f"{folder}/{key}.{child.suffix}{META}"] = write_xml(doc)
        root.remove(node)
    if len(root) or (root.text and root.text.strip()):
        out[f"{base}/{name}.{suffix}{META}"] = write_xml(root)
    else:  # only children: the CLI still writes the parent, as an empty element pair
        out[f"{base}/{name}.{suffix}{META}"] = (
            f'{DECLARATION}\n<{parent.parent} xmlns="{NS}"></{parent.parent}>\n'.encode())
    return out
