"""The role hierarchy as a tree, with the changes between two states marked.

Shared with the report (side-by-side trees), so it takes plain dicts: developer name (or a
`ComponentId` of type Role) -> role XML bytes, or an already-parsed dict with `name` and
`parentRole`. Roles whose parent is unknown hang under the root, as Salesforce shows them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sfenv.core.checklist.xmlview import xml_dict
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry

# status of a node going from before to after
UNCHANGED, ADDED, REMOVED, MOVED, MODIFIED = "unchanged", "added", "removed", "moved", "modified"
MARKS = {UNCHANGED: " ", ADDED: "+", REMOVED: "-", MOVED: "~", MODIFIED: "*"}


@dataclass
class TreeNode:
    name: str  # developer name ("" for the root)
    label: str
    status: str = UNCHANGED
    parent: str | None = None  # parent developer name after the change (before, if removed)
    old_parent: str | None = None  # set when moved
    children: list[TreeNode] = field(default_factory=list)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, TreeNode]]:
        """(depth, node) pairs, depth-first, the root excluded."""
        for child in self.children:
            yield depth, child
            yield from child.walk(depth + 1)


def _role_data(name: str, value: Any, registry: Registry) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    return xml_dict(value, registry.expected_path(ComponentId(registry.hierarchy_type().name, name)))


def role_label(name: str, value: Any, registry: Registry) -> str:
    """`name` shown as Setup shows the role: its label (`<name>`), else the developer name."""
    return _role_data(name, value, registry).get("name") or name


def parse_roles(roles: Mapping[Any, Any], registry: Registry) -> dict[str, dict[str, Any]]:
    """name -> {"label", "parent", "data"} for every role in `roles`."""
    hierarchy = registry.hierarchy_type()
    out: dict[str, dict[str, Any]] = {}
    for key, value in roles.items():
        if isinstance(key, ComponentId) and key.type != hierarchy.name:
            continue
        name = key.full_name if isinstance(key, ComponentId) else str(key)
        data = _role_data(name, value, registry)
        parent = data.get(hierarchy.hierarchy_parent or "") or None
        out[name] = {"label": data.get("name") or name, "parent": parent, "data": data}
    return out


def role_tree(roles_before: Mapping[Any, Any], roles_after: Mapping[Any, Any],
              registry: Registry) -> TreeNode:
    """The union of both hierarchies; each node says whether it was added, removed, moved
    (parent changed) or modified (other fields), children sorted by label then name."""
    before, after = parse_roles(roles_before, registry), parse_roles(roles_after, registry)
    nodes: dict[str, TreeNode] = {}
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if a is None:  # `name` comes from the union: only `before` has it
            node = TreeNode(name, before[name]["label"], REMOVED, before[name]["parent"])
        elif b is None:
            node = TreeNode(name, a["label"], ADDED, a["parent"])
        elif b["parent"] != a["parent"]:
            node = TreeNode(name, a["label"], MOVED, a["parent"], old_parent=b["parent"])
        elif b["data"] != a["data"]:
            node = TreeNode(name, a["label"], MODIFIED, a["parent"])
        else:
            node = TreeNode(name, a["label"], UNCHANGED, a["parent"])
        nodes[name] = node
    root = TreeNode("", "(top)")
    for node in nodes.values():
        holder = nodes.get(node.parent) if node.parent else None
        # guard against cycles in bad data: never hang a node under its own descendant
        if holder is None or _is_descendant(nodes, holder.name, node.name):
            holder = root
        holder.children.append(node)
    for node in [root, *nodes.values()]:
        node.children.sort(key=lambda n: (n.label.lower(), n.name))
    return root


def _is_descendant(nodes: dict[str, TreeNode], candidate: str, ancestor: str) -> bool:
    seen: set[str] = set()
    cur: str | None = candidate
    while cur and cur not in seen:
        if cur == ancestor:
            return True
        seen.add(cur)
        cur = nodes[cur].parent if cur in nodes else None
    return False


def describe(node: TreeNode, labels: Mapping[str, str] | None = None) -> str:
    """`VP Sales (VP_Sales)` plus what changed, e.g. `[moved from CEO]`."""
    text = f"{node.label} ({node.name})"
    if node.status == MOVED:
        old = node.old_parent or "(top)"
        if labels and node.old_parent is not None and node.old_parent in labels:
            old = f"{labels[node.old_parent]} ({node.old_parent})"
        text += f" [moved from {old}]"
    elif node.status in (ADDED, REMOVED, MODIFIED):
        text += f" [{node.status}]"
    return text


def tree_lines(root: TreeNode, *, changed_only_context: bool = False) -> list[str]:
    """Indented text lines, one per role, a change mark in the first column:
    `+` added, `-` removed, `~` moved, `*` modified. With `changed_only_context`, only the
    changed roles and their ancestors are shown (large hierarchies stay readable)."""
    labels = {n.name: n.label for _, n in root.walk()}
    keep: set[str] | None = None
    if changed_only_context:
        keep = set()
        _mark_changed_paths(root, keep)
    lines: list[str] = []
    for depth, node in root.walk():
        if keep is not None and node.name not in keep:
            continue
        lines.append(f"{MARKS[node.status]} {'    ' * depth}{describe(node, labels)}")
    return lines


def _mark_changed_paths(node: TreeNode, keep: set[str]) -> bool:
    hit = node.status != UNCHANGED
    for child in node.children:
        if _mark_changed_paths(child, keep):
            hit = True
    if hit and node.name:
        keep.add(node.name)
    return hit
