"""Element-level changes of one component: a walk over its parsed XML.

The XML becomes nested dicts; repeated elements carrying a key (`fullName`, `name`, or the key
the registry gives that list) become `tag[key]` entries, and repeated plain values become a set
of `tag[value]` entries, so reordering is never a change. Paths read like
`valueSet.valueSetDefinition.value[Gold]` or `length`.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from sfenv.core.compare.model import ElementChange
from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.errors import MetadataError

GENERIC_KEYS = ("fullName", "name")

# A parsed component: a leaf's text, True for a member of a plain repeated list, or a dict.
Tree = str | bool | dict[str, "Tree"]


def to_tree(el: etree._Element, keys: Mapping[str, tuple[str, ...]]) -> Tree:
    """An element as a dict (leaf: its text). `keys` maps element names to the elements
    identifying one item of that list (several joined by "@", as entry rows are named)."""
    children = [c for c in el if isinstance(c.tag, str)]
    if not children:
        return (el.text or "").strip()
    groups: dict[str, list[etree._Element]] = {}
    for child in children:
        groups.setdefault(local_name(child), []).append(child)
    out: dict[str, Tree] = {}
    for name, items in groups.items():
        key = keys.get(name)
        for item in items:
            key_el = _key_of(item, key)
            if key_el is not None:
                label = f"{name}[{key_el}]"
            elif len(items) == 1:
                label = name
            elif not len(item):
                label = f"{name}[{(item.text or '').strip()}]"
            else:
                label = f"{name}[#{items.index(item) + 1}]"
            while label in out:  # duplicate keys: keep both, numbered
                label += "'"
            out[label] = True if label.endswith("]") and not len(item) and key_el is None \
                and len(items) > 1 else to_tree(item, keys)
    return out


def _key_of(item: etree._Element, key: tuple[str, ...] | None) -> str | None:
    if not len(item):
        return None
    texts = {local_name(child): child.text.strip() for child in item
             if not len(child) and child.text and child.text.strip()}
    if key and texts.get(key[0]):
        parts = [texts.get(k, "") for k in key]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        return "@".join(parts)
    return next((texts[k] for k in GENERIC_KEYS if k in texts), None)


def element_changes(old: bytes, new: bytes, *, source: str = "",
                    keys: Mapping[str, tuple[str, ...]] | None = None) -> list[ElementChange]:
    """What differs inside a component, as readable element paths (XML pieces only)."""
    keys = keys or {}
    try:
        a = to_tree(parse_xml(old, source or "old"), keys)
        b = to_tree(parse_xml(new, source or "new"), keys)
    except MetadataError:
        return [ElementChange("content", "changed", None, None)]
    return tree_changes(a, b)


# When two versions of an element share fewer than this share of their labels, the element is
# one `changed` row (old and new whole) rather than a row per label (DeepDiff's default).
REWRITTEN = 0.33


def tree_changes(a: Tree, b: Tree, prefix: str = "") -> list[ElementChange]:
    """What differs between two parsed components, sorted by path: a leaf whose text (or
    shape) differs is `changed`, a label only one side has is `added` / `removed` with its
    whole subtree, an element mostly rewritten (`REWRITTEN`) is `changed` whole.

    These are the rows DeepDiff 8-9 gives for such trees (`values_changed`, `type_changes`,
    `dictionary_item_added/removed`, its `threshold_to_diff_deeper`, labels starting with
    `__` ignored), computed directly: components usually differ in a few leaves."""
    if a == b:
        return []
    if not isinstance(a, dict) or not isinstance(b, dict):
        return [ElementChange(prefix or "value", "changed", a, b)]
    result: list[ElementChange] = []
    root = f"{prefix}." if prefix else ""
    _walk(a, b, root, root, result)
    result.sort(key=lambda e: e.path)
    return result


def _walk(a: dict[str, Tree], b: dict[str, Tree], here: str, under: str,
          out: list[ElementChange]) -> None:
    """Rows for two differing dicts at path `here`; their labels' paths start with `under`."""
    labels_a = [k for k in a if not k.startswith("__")]
    labels_b = [k for k in b if not k.startswith("__")]
    union = len(set(labels_a) | set(labels_b))
    common = [k for k in labels_a if k in b]
    if union > 1 and len(common) / union < REWRITTEN:
        out.append(ElementChange(here, "changed", a, b))
        return
    for label in labels_b:
        if label not in a:
            out.append(ElementChange(under + label, "added", None, b[label]))
    for label in labels_a:
        if label not in b:
            out.append(ElementChange(under + label, "removed", a[label], None))
    for label in common:
        old, new = a[label], b[label]
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            _walk(old, new, under + label, f"{under}{label}.", out)
        else:
            out.append(ElementChange(under + label, "changed", old, new))
