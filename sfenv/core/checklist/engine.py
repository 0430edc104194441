"""Evaluate the catalogue over one hop: the train's changes, the team's manual types, and the
source org's setup audit trail. Pure: everything comes in through `changes` and the context."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2.exceptions import SecurityError, TemplateError

from sfenv.core.checklist.catalogue import Catalogue, Rule
from sfenv.core.checklist.model import PHASES, SEVERITIES, ChecklistContext, Step
from sfenv.core.checklist.roles import role_label, role_tree, tree_lines
from sfenv.core.checklist.xmlview import aslist, dig, xml_dict
from sfenv.core.compare.audit_match import granted
from sfenv.core.compare.model import Change
from sfenv.core.metadata.ids import ComponentId, kept_manual
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import ChecklistError

# Internal OWD values from least to most open; ControlledByParent is handled apart.
OWD_RANK = {"Private": 0, "Read": 1, "ReadSelect": 1, "ReadWrite": 2, "ReadWriteTransfer": 3,
            "FullAccess": 4, "Public": 2}


def more_restrictive(old: Any, new: Any) -> bool:
    """True when access shrinks (ReadWrite -> Read), or moves to/from ControlledByParent
    (whose effect depends on the parent and recalculates the children too)."""
    if not old or not new or old == new:
        return False
    if "ControlledByParent" in (old, new):
        return True
    return OWD_RANK.get(str(new), 0) < OWD_RANK.get(str(old), 0)


def _key(item: Any, key: str) -> str | None:
    if isinstance(item, Mapping):
        value = item.get(key)
        return str(value) if value not in (None, "") else None
    return str(item) if key in ("", ".") else None


def removed_keys(old_list: Any, new_list: Any, key: str = "") -> list[str]:
    """Keys of items in `old_list` that are absent from `new_list` (key "" for plain values)."""
    keep = {_key(i, key) if key else str(i) for i in aslist(new_list)}
    out = {(_key(i, key) if key else str(i)) for i in aslist(old_list)} - keep
    return sorted(k for k in out if k)


def added_keys(old_list: Any, new_list: Any, key: str = "") -> list[str]:
    return removed_keys(new_list, old_list, key)


def _grants(item: Any) -> bool:
    if not isinstance(item, Mapping):
        return bool(item)
    vis = item.get("visibility")
    if vis is not None:
        return vis not in ("Hidden", "None")
    return any(v == "true" for k, v in item.items() if k != "default")


def removed_grants(old_list: Any, new_list: Any, key: str) -> list[str]:
    """Entries of a profile list that granted something and are gone from the new file: a
    deploy leaves them in place in the target (a profile deploy only overlays)."""
    keep = {_key(i, key) for i in aslist(new_list)}
    return sorted({k for i in aslist(old_list) if (k := _key(i, key)) and k not in keep and _grants(i)})


def field_changes(old: Any, new: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Leaf values that differ between two parsed dicts: [{field, old, new}], by field name."""
    out: list[dict[str, Any]] = []
    old = old if isinstance(old, Mapping) else {}
    new = new if isinstance(new, Mapping) else {}
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if isinstance(a, Mapping) or isinstance(b, Mapping):
            out.extend(field_changes(a, b, f"{prefix}{k}."))
        elif a != b:
            out.append({"field": f"{prefix}{k}", "old": a, "new": b})
    return out


def queue_members(queue: Any) -> dict[str, list[str]]:
    """A queue's members by kind: users, publicGroups, roles, roleAndSubordinates..."""
    members = queue.get("queueMembers") if isinstance(queue, Mapping) else None
    out: dict[str, list[str]] = {}
    if not isinstance(members, Mapping):
        return out
    for kind, holder in sorted(members.items()):
        if isinstance(holder, Mapping):
            values = [str(v) for v in aslist(next(iter(holder.values()), None))]
            if values:
                out[kind] = sorted(values)
    return out


def lines(text: Any) -> list[str]:
    return [ln for ln in str(text or "").splitlines() if ln.strip()]


class _Hop:
    """Per-call state: parsed XML, the role hierarchy, and the template helpers."""

    def __init__(self, changes: list[Change], ctx: ChecklistContext, catalogue: Catalogue,
                 registry: Registry):
        self.ctx = ctx
        self.registry = registry
        self.catalogue = catalogue
        self.changes = sorted(changes, key=lambda c: (c.component, c.kind))
        self.source = {"name": ctx.source_env, "production": ctx.source_is_production}
        self.target = {"name": ctx.target_env, "production": ctx.target_is_production,
                       "owner": ctx.target_owner}
        self._roles: tuple[dict[str, Any], dict[str, Any]] | None = None
        self._hierarchy = registry.hierarchy_type().name  # the role tree's type

    # -- role hierarchy: target now (before) and target after this promotion (after)
    def roles(self) -> tuple[dict[str, Any], dict[str, Any]]:
        if self._roles is None:
            before: dict[str, Any] = {c.full_name: x for c, x in self.ctx.target_components.items()
                                      if c.type == self._hierarchy}
            if not before:  # no target tree given: what the changes tell us
                before = {c.component.full_name: c.old_xml for c in self.changes
                          if c.component.type == self._hierarchy and c.old_xml}
            after = dict(before)
            for c in self.changes:
                if c.component.type != self._hierarchy:
                    continue
                if c.kind == "removed":
                    after.pop(c.component.full_name, None)
                elif c.new_xml:
                    after[c.component.full_name] = c.new_xml
            for cid, xml in self.ctx.manual:
                if cid.type == self._hierarchy:
                    after[cid.full_name] = xml
            self._roles = (before, after)
        return self._roles

    def role_label(self, name: Any) -> str:
        if not name:
            return "(top of the hierarchy)"
        before, after = self.roles()
        for source in (after, before, {c.full_name: x for c, x in
                                       self.ctx.source_components.items()
                                       if c.type == self._hierarchy}):
            if name in source:
                label = role_label(name, source[name], self.registry)
                return f"{label} ({name})"
        return f"{name}"

    def role_tree_lines(self, changed_only: bool = True) -> list[str]:
        before, after = self.roles()
        return tree_lines(role_tree(before, after, self.registry), changed_only_context=changed_only)

    def helpers(self) -> dict[str, Any]:
        ctx = self.ctx

        def has(components: Mapping[ComponentId, bytes], type_: str, name: str) -> bool:
            return ComponentId(type_, name) in components

        return {
            "aslist": aslist, "dig": dig, "removed_keys": removed_keys, "added_keys": added_keys,
            "removed_grants": removed_grants, "field_changes": field_changes,
            "more_restrictive": more_restrictive, "role_label": self.role_label,
            "role_tree_lines": self.role_tree_lines, "queue_members": queue_members,
            "group_members": lambda name: list(ctx.group_members.get(name, [])),
            "map_username": ctx.map_username, "lines": lines,
            "target_has": lambda t, n: has(ctx.target_components, t, n),
            "source_has": lambda t, n: has(ctx.source_components, t, n),
            "source": self.source, "target": self.target,
            "grants": lambda component: str(granted(ComponentId.parse(component), self.registry)
                                            or ""),
            "entry_owner": lambda component: _entry_owner(component, self.registry),
            "kept_manual": lambda component: kept_manual([ComponentId.parse(component)],
                                                         ctx.manual_types),
        }

    def change_vars(self, change: Change) -> dict[str, Any]:
        cid = change.component
        where = change.path or str(cid)
        old, new = xml_dict(change.old_xml, where), xml_dict(change.new_xml, where)
        elements = [{"path": e.path, "kind": e.kind, "old": e.old, "new": e.new, "text": str(e)}
                    for e in change.elements]

        def changed(path: str) -> bool:
            if any(fnmatch.fnmatchcase(e["path"], path) for e in elements):
                return True
            return bool(old or new) and dig(old, path) != dig(new, path)

        return {
            "change": {"kind": change.kind, "type": cid.type, "name": cid.full_name,
                       "component": str(cid), "parent": str(change.parent or ""),
                       "path": change.path,
                       "old_by": change.old_by.last_modified_by or "",
                       "new_by": change.new_by.last_modified_by or ""},
            "kind": change.kind, "type": cid.type, "name": cid.full_name, "component": str(cid),
            "elements": elements, "old": old, "new": new,
            "old_text": _text(change.old_xml), "new_text": _text(change.new_xml),
            "changed": changed, "changes": [],
        }


def _entry_owner(component: str, registry: Registry) -> str:
    """`ProfileClassAccess:Admin/X` -> `Profile Admin` (the file that holds the entry)."""
    cid = ComponentId.parse(component)
    found = registry.section_entry(cid.type)
    owner = found[0].name if found else cid.type
    return f"{owner} {cid.full_name.split('/', 1)[0]}"


def _text(data: bytes | None) -> str:
    return data.decode("utf-8", "replace") if data else ""


def _type_matches(rule: Rule, type_name: str) -> bool:
    return any(fnmatch.fnmatchcase(type_name, t) for t in rule.types)


def _eval(rule: Rule, compiled: Any, variables: dict[str, Any], what: str) -> bool:
    try:
        return bool(compiled(**variables))
    except (TemplateError, SecurityError, TypeError, ValueError, KeyError, AttributeError) as err:
        raise ChecklistError(f"{rule.file}: rule {rule.id}: {what} failed on "
                             f"{variables.get('component', 'audit row')}: {err}") from None


def _matches(rule: Rule, change: Change, variables: dict[str, Any]) -> bool:
    if not _type_matches(rule, change.component.type) or change.kind not in rule.kinds:
        return False
    if rule.elements and not any(variables["changed"](e) for e in rule.elements):
        return False
    return rule.condition is None or _eval(rule, rule.condition, variables, "condition")


def _render(catalogue: Catalogue, rule: Rule, variables: dict[str, Any]) -> tuple[str, list[str], str]:
    env = catalogue.env
    try:
        title = " ".join(env.from_string(rule.title).render(variables).split())
        body = env.get_template(rule.template).render(variables)
        why = " ".join(env.from_string(rule.why).render(variables).split()) if rule.why else ""
    except (TemplateError, SecurityError, TypeError, ValueError, KeyError, AttributeError) as err:
        raise ChecklistError(f"{rule.file}: rule {rule.id}: template failed on "
                             f"{variables.get('component', 'audit row')}: {err}") from None
    return title, [ln.rstrip() for ln in body.splitlines() if ln.strip()], why


def _severity(rule: Rule, variables: dict[str, Any]) -> str:
    severity = rule.severity
    for compiled, level in rule.escalate_compiled:
        if _eval(rule, compiled, variables, "escalate condition") and \
                SEVERITIES.index(level) > SEVERITIES.index(severity):
            severity = level
    return severity


def _step(hop: _Hop, rule: Rule, variables: dict[str, Any], step_id: str, component: str) -> Step:
    title, details, why = _render(hop.catalogue, rule, variables)
    return Step(id=step_id, phase=rule.phase, severity=_severity(rule, variables), title=title,
                details=details, why=why, owner=hop.ctx.target_owner, rule=rule.id,
                component=component)


def _step_id(rule: Rule, cid: ComponentId) -> str:
    return f"{rule.id}.{cid.type}.{cid.full_name}" if rule.multi_type else f"{rule.id}.{cid.full_name}"


def _changes_feed(hop: _Hop) -> Iterable[tuple[Rule, Step]]:
    rules = hop.catalogue.feed("changes")
    helpers = hop.helpers()
    # those get a manual step instead
    held_back = {cid for cid, _ in [*hop.ctx.manual, *hop.ctx.manual_removed]}
    per_train: dict[str, list[dict[str, Any]]] = {r.id: [] for r in rules if r.per == "train"}
    for change in hop.changes:
        if change.component in held_back:
            continue
        if not any(_type_matches(r, change.component.type) for r in rules):
            continue
        variables = {**helpers, **hop.change_vars(change)}
        for rule in rules:
            if not _matches(rule, change, variables):
                continue
            if rule.per == "train":
                per_train[rule.id].append(variables)
            else:
                yield rule, _step(hop, rule, variables, _step_id(rule, change.component),
                                  str(change.component))
    for rule in rules:
        matched = per_train.get(rule.id)
        if matched:
            variables = {**helpers, "changes": matched, "kind": "", "type": "", "name": "",
                         "component": "", "change": {}, "elements": [], "old": {}, "new": {},
                         "old_text": "", "new_text": "", "changed": lambda _p: False}
            yield rule, _step(hop, rule, variables, rule.id, "")


def _manual_feed(hop: _Hop) -> Iterable[tuple[Rule, Step]]:
    rules = hop.catalogue.feed("manual")
    # the most specific rule wins: exact type names before globs, then catalogue order
    rules = sorted(rules, key=lambda r: r.multi_type)
    helpers = hop.helpers()
    # (component, its XML (None: a removed one the snapshot no longer has), removed)
    items: list[tuple[ComponentId, bytes | None, bool]] = [
        (cid, xml, False) for cid, xml in hop.ctx.manual]
    items += [(cid, xml, True) for cid, xml in hop.ctx.manual_removed]
    # Deleting a component removes every profile and permission set entry that grants it:
    # no person has to revoke those.
    deleted = {c.component for c in hop.changes if c.kind == "removed"}
    for cid, xml, removed in sorted(items, key=lambda item: item[0]):
        if removed and granted(cid) in deleted:
            continue
        if removed:  # held back, so a deploy will not remove it either: a person must
            change = Change(component=cid, kind="removed", path=str(cid), old_xml=xml)
        else:
            old = hop.ctx.target_components.get(cid)
            change = Change(component=cid, kind="modified" if old is not None else "added",
                            path=str(cid), old_xml=old, new_xml=xml)
        variables = {**helpers, **hop.change_vars(change)}
        rule = next((r for r in rules if _matches(r, change, variables)), None)
        if rule is None:
            raise ChecklistError(f"{hop.catalogue.origin}: no manual rule matches {cid} "
                                 "(the catalogue needs a catch-all rule with feed: manual, type '*')")
        yield rule, _step(hop, rule, variables, f"{rule.id}.{cid.type}.{cid.full_name}"
                          if rule.multi_type else f"{rule.id}.{cid.full_name}", str(cid))


def _audit_feed(hop: _Hop) -> Iterable[tuple[Rule, Step]]:
    rules = hop.catalogue.feed("audit")
    if not rules or not hop.ctx.audit_rows:
        return
    sections = {s.casefold() for s in hop.catalogue.audit_sections}
    helpers = hop.helpers()
    since = hop.ctx.audit_since
    rows = [r for r in hop.ctx.audit_rows
            if str(r.get("Section") or "").casefold() in sections
            and (since is None or str(r.get("CreatedDate") or "") >= since)]
    rows.sort(key=lambda r: (str(r.get("CreatedDate") or ""), str(r.get("Id") or "")))
    for row in rows:
        variables = {**helpers, "row": dict(row), "component": f"audit row {row.get('Id')}"}
        for rule in rules:
            if rule.condition is None or _eval(rule, rule.condition, variables, "condition"):
                yield rule, _step(hop, rule, variables, f"{rule.id}.{row.get('Id')}", "")
                break


def build_checklist(changes: list[Change], ctx: ChecklistContext, catalogue: Catalogue,
                    registry: Registry | None = None) -> list[Step]:
    """All the steps of one promotion, before-deploy steps first, then in catalogue order.
    Step ids are deterministic, so done-marks recorded earlier still apply on the next run.
    (`registry`: the project's; the shipped one until the train and undo pass theirs.)"""
    order = {r.id: i for i, r in enumerate(catalogue.rules)}
    hop = _Hop(changes, ctx, catalogue, registry or default_registry())
    found: list[tuple[Rule, Step]] = [*_changes_feed(hop), *_manual_feed(hop), *_audit_feed(hop)]
    steps: dict[str, Step] = {}
    for _, step in found:
        if step.id in steps:  # two components with the same id under one rule: keep both
            step.id = f"{step.id}.{step.component.split(':', 1)[0]}"
        steps[step.id] = step
    # audit steps keep the trail's order (the date each change was made, which is the order a
    # person replays them in); an audit step's id holds a Salesforce id, which orders nothing
    audit_rules = {r.id for r in hop.catalogue.feed("audit")}
    made = {step.id: i for i, (rule, step) in enumerate(found) if rule.id in audit_rules}
    return sorted(steps.values(), key=lambda s: (PHASES.index(s.phase), order[s.rule],
                                                 made.get(s.id, 0), s.id))
