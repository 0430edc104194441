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
from functools import lru_cache
from typing import Any

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.errors import MetadataError

MAX_ROWS = 5


_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _token(word: str, text: str) -> bool:
    """`word` in `text` as a whole token, ignoring case (letters, digits and `_` around it do
    not count). A search, not a regex per word: a plan matches tens of thousands of names
    against the audit rows, and compiling a case-insensitive pattern per name cost ~1 ms."""
    if not word:
        return False
    needle, hay = word.lower(), _lower(text)
    start = hay.find(needle)
    while start >= 0:
        end = start + len(needle)
        if (start == 0 or hay[start - 1] not in _WORD) and (end == len(hay) or hay[end] not in _WORD):
            return True
        start = hay.find(needle, start + 1)
    return False


@lru_cache(maxsize=1 << 12)
def _lower(text: str) -> str:
    return text.lower()


@lru_cache(maxsize=1 << 16)
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


def _names(api: str, label: str | None) -> list[str]:
    return [n for n in {api, _plain(api), label or ""} if n]


def granted(cid: ComponentId, registry: Registry | None = None) -> ComponentId | None:
    """What a profile or permission set entry grants access to (`ProfileClassAccess:Admin/X`
    -> `ApexClass:X`), or None for any other component."""
    found = (registry or default_registry()).section_entry(cid.type)
    if found is None or found[1].grants is None or "/" not in cid.full_name:
        return None
    key = cid.full_name.split("/", 1)[1].split("@", 1)[0]
    return ComponentId(found[1].grants, key)


def matches(row: dict[str, Any], cid: ComponentId, label: str | None = None,
            registry: Registry | None = None) -> bool:
    """Is this audit row about `cid` (whose own label is `label`, when known)? A permission
    entry takes the rows about the component it grants access to."""
    registry = registry or default_registry()
    target = granted(cid, registry)
    if target is not None:
        return matches(row, target, registry=registry)
    section, text = str(row.get("Section") or ""), str(row.get("Display") or "")
    mtype = registry.find(cid.type)
    match = mtype.audit_match if mtype is not None else None
    named = registry.object_and_own(cid)
    if match is not None and match.words and named is not None:
        obj, own = named
        if not match.section_ok(section):
            return False
        if registry.child(cid.type) is None:  # a layout: "Changed Invoice Layout page layout"
            return (any(w in text.lower() for w in match.words)
                    and (_token(cid.full_name, text) or (_token(own, text) and any(
                        _token(n, text) for n in _names(obj, None)))))
        if _token(cid.full_name, text):
            return True
        return (any(_token(w, text) for w in match.words)
                and any(_token(n, text) for n in _names(own, label))
                and any(_token(n, text) for n in _names(obj, None)))
    if match is not None and match.not_own:  # an object: not the rows about its children
        lowered = text.lower()
        if not match.section_ok(section) or any(w in lowered for w in match.not_own):
            return False
        return any(_token(n, text) for n in _names(cid.full_name, label))
    if match is not None and not match.section_ok(section):
        return False
    names = [cid.full_name] + ([label] if label and match is not None else [])
    return any(len(n) >= 3 and _token(n, text) for n in names)


def label_used(rows: list[dict[str, Any]], cid: ComponentId,
               registry: Registry | None = None) -> bool:
    """Whether `matches` could read `cid`'s label for one of `rows`: only for a type with its
    own audit sections, and only for a row filed under one of them. Reading the label parses the
    component's XML; a plan of 235,000 items against an empty trail did that for nothing (36 s)."""
    if not rows:
        return False
    registry = registry or default_registry()
    if granted(cid, registry) is not None:  # an entry matches by what it grants, never a label
        return False
    mtype = registry.find(cid.type)
    match = mtype.audit_match if mtype is not None else None
    return match is not None and any(match.section_ok(str(row.get("Section") or ""))
                                     for row in rows)


def rows_about(rows: list[dict[str, Any]], cid: ComponentId, label: str | None = None,
               limit: int = MAX_ROWS, registry: Registry | None = None) -> list[dict[str, Any]]:
    """The rows about `cid`, newest first as stored, at most `limit`."""
    found: list[dict[str, Any]] = []
    for row in rows:
        if matches(row, cid, label, registry):
            found.append(row)
            if len(found) >= limit:
                break
    return found
