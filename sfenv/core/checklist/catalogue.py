"""The rule catalogue: YAML rules and Jinja2 templates under `checklists/`, validated on load.

A broken catalogue must fail when it is loaded, naming the rule and the file, not in the
middle of a promotion: so every condition is compiled, every template parsed, and every name
a condition or template uses is checked against the variables the engine provides. The
catalogue shipped in the package cannot change after install: its names are checked by the
test suite (it loads a folder copy with every check), not again by every command that needs it
(the check compiles each template: most of the load's time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jinja2 import ChainableUndefined, DictLoader, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from sfenv.core.checklist.model import PHASES, SEVERITIES
from sfenv.errors import ChecklistError

FEEDS = ("changes", "manual", "audit")
CHANGE_KINDS = ("added", "removed", "modified")
RULE_KEYS = {"id", "feed", "when", "phase", "severity", "escalate", "title", "template", "why", "per"}
WHEN_KEYS = {"type", "change", "element", "condition"}
ESCALATE_KEYS = {"condition", "severity"}
FILE_KEYS = {"rules", "audit_sections"}
ID_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$")
_SHIPPED: list[Catalogue] = []  # the shipped catalogue once loaded (it cannot change after install)

# names the engine puts in every condition/template context (see engine.py); helpers included
CHANGE_VARS = {
    "change", "kind", "type", "name", "component", "elements", "old", "new", "old_text",
    "new_text", "source", "target", "changes",
}
AUDIT_VARS = {"row", "source", "target"}
HELPERS = {
    "aslist", "dig", "changed", "removed_keys", "added_keys", "removed_grants", "field_changes",
    "more_restrictive", "role_label", "role_tree_lines", "queue_members", "group_members",
    "map_username", "target_has", "source_has", "lines", "grants", "entry_owner", "kept_manual",
}
JINJA_BUILTINS = {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop", "true",
                  "false", "none", "True", "False", "None"}


@dataclass
class Rule:
    id: str
    file: str
    feed: str
    types: tuple[str, ...]
    kinds: tuple[str, ...]
    elements: tuple[str, ...]
    condition_src: str | None
    phase: str
    severity: str
    title: str
    template: str
    why: str
    per: str = "change"  # "change": a step per matching change; "train": one step for all
    escalate: list[tuple[str, str]] = field(default_factory=list)  # (condition, severity)
    condition: Any = None  # compiled expression, or None (always true)
    escalate_compiled: list[tuple[Any, str]] = field(default_factory=list)

    @property
    def multi_type(self) -> bool:
        return len(self.types) != 1 or any(ch in self.types[0] for ch in "*?[")


@dataclass
class Catalogue:
    rules: list[Rule]
    audit_sections: list[str]
    env: SandboxedEnvironment
    origin: str  # where it was read from, for messages

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise ChecklistError(f"{self.origin}: no rule {rule_id!r} in the checklist catalogue")

    def feed(self, feed: str) -> list[Rule]:
        return [r for r in self.rules if r.feed == feed]


def make_env(templates: dict[str, str]) -> SandboxedEnvironment:
    """Sandboxed (no attribute tricks, no eval); undefined names are chainable and falsy."""
    return SandboxedEnvironment(
        loader=DictLoader(templates), undefined=ChainableUndefined, autoescape=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )


def _read_dir(path: Path | Any) -> tuple[dict[str, str], dict[str, str], str]:
    """(yml files, templates, origin) from a filesystem path or an importlib Traversable."""
    ymls: dict[str, str] = {}
    templates: dict[str, str] = {}
    for entry in sorted(path.iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith((".yml", ".yaml")):
            ymls[entry.name] = entry.read_text(encoding="utf-8")
    tdir = path / "templates"
    if tdir.is_dir():
        for entry in sorted(tdir.iterdir(), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith(".j2"):
                templates[entry.name] = entry.read_text(encoding="utf-8")
    return ymls, templates, "checklists"


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate the catalogue (default: the one shipped as package `sfenv.checklists`).
    Raises ChecklistError naming the file and rule id on any problem."""
    if path is None and _SHIPPED:  # package data: read once per process (~0.2 s CPU a load)
        return _SHIPPED[0]
    if path is None:
        ymls, templates, origin = _read_dir(resources.files("sfenv.checklists"))
    else:
        path = Path(path)
        if not path.is_dir():
            raise ChecklistError(f"{path}: checklist catalogue folder not found")
        ymls, templates, _ = _read_dir(path)
        origin = str(path)
    env = make_env(templates)
    bad_templates: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for tname, source in templates.items():
        try:
            parsed[tname] = env.parse(source, tname)
        except TemplateSyntaxError as err:
            bad_templates[tname] = f"line {err.lineno}: {err.message}"
    rules: list[Rule] = []
    sections: list[str] = []
    seen: dict[str, str] = {}
    for fname, text in ymls.items():
        where = f"{origin}/{fname}"
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise ChecklistError(f"{where}{line}: bad YAML ({getattr(err, 'problem', err)})") from None
        if not isinstance(doc, dict):
            raise ChecklistError(f"{where}: expected a mapping with 'rules' and/or 'audit_sections'")
        unknown = set(doc) - FILE_KEYS
        if unknown:
            raise ChecklistError(f"{where}: unknown top-level keys {sorted(unknown)}")
        for item in doc.get("audit_sections") or []:
            if not isinstance(item, str):
                raise ChecklistError(f"{where}: audit_sections must be a list of strings")
            sections.append(item)
        raw_rules = doc.get("rules") or []
        if not isinstance(raw_rules, list):
            raise ChecklistError(f"{where}: 'rules' must be a list")
        for raw in raw_rules:
            rule = _rule(raw, where, env, templates, parsed, bad_templates,
                         check_names=path is not None)
            if rule.id in seen:
                raise ChecklistError(f"{where}: rule {rule.id}: duplicate id (also in {seen[rule.id]})")
            seen[rule.id] = where
            rules.append(rule)
    if not rules:
        raise ChecklistError(f"{origin}: the checklist catalogue has no rules")
    catalogue = Catalogue(rules=rules, audit_sections=sections, env=env, origin=origin)
    _SHIPPED[:] = [catalogue] if path is None else _SHIPPED
    return catalogue


def _strs(value: Any, what: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ChecklistError(f"{where}: {what} must be a string or a list of strings")


def _names_ok(ast: Any, allowed: set[str], what: str, where: str) -> None:
    unknown = meta.find_undeclared_variables(ast) - allowed
    if unknown:
        raise ChecklistError(f"{where}: {what} uses undefined variable(s) {', '.join(sorted(unknown))}")


def _rule(raw: Any, where: str, env: SandboxedEnvironment, templates: dict[str, str],
          parsed: dict[str, Any], bad_templates: dict[str, str], *,
          check_names: bool = True) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ChecklistError(f"{where}: every rule needs an 'id' (got {str(raw)[:60]!r})")
    rid = raw["id"]
    here = f"{where}: rule {rid}"
    if not ID_RE.match(rid):
        raise ChecklistError(f"{here}: id must be lower-case words joined by '.', '-' or '_'")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise ChecklistError(f"{here}: unknown keys {sorted(unknown)}")
    feed = raw.get("feed", "changes")
    if feed not in FEEDS:
        raise ChecklistError(f"{here}: feed must be one of {', '.join(FEEDS)}")
    when = raw.get("when") or {}
    if not isinstance(when, dict):
        raise ChecklistError(f"{here}: 'when' must be a mapping")
    unknown = set(when) - WHEN_KEYS
    if unknown:
        raise ChecklistError(f"{here}: unknown keys in 'when' {sorted(unknown)}")
    types = _strs(when.get("type"), "when.type", here)
    if feed != "audit" and not types:
        raise ChecklistError(f"{here}: when.type is required")
    kinds = _strs(when.get("change"), "when.change", here) or CHANGE_KINDS
    if set(kinds) - set(CHANGE_KINDS):
        raise ChecklistError(f"{here}: when.change must be among {', '.join(CHANGE_KINDS)}")
    elements = _strs(when.get("element"), "when.element", here)
    phase = raw.get("phase")
    if phase not in PHASES:
        raise ChecklistError(f"{here}: phase must be 'before' or 'after'")
    severity = raw.get("severity", "info")
    if severity not in SEVERITIES:
        raise ChecklistError(f"{here}: severity must be one of {', '.join(SEVERITIES)}")
    per = raw.get("per", "change")
    if per not in ("change", "train") or (per == "train" and feed != "changes"):
        raise ChecklistError(f"{here}: per must be 'change', or 'train' for the changes feed")
    allowed = (AUDIT_VARS if feed == "audit" else CHANGE_VARS) | HELPERS | JINJA_BUILTINS

    def names_ok(ast: Any, what: str) -> None:
        if check_names:
            _names_ok(ast, allowed, what, here)
    for key in ("title", "template"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ChecklistError(f"{here}: '{key}' is required")
    why = raw.get("why", "")
    if not isinstance(why, str):
        raise ChecklistError(f"{here}: 'why' must be text")

    def compile_cond(src: Any, what: str) -> Any:
        if not isinstance(src, str) or not src.strip():
            raise ChecklistError(f"{here}: {what} must be a non-empty expression")
        try:
            compiled = env.compile_expression(src, undefined_to_none=False)
            names_ok(env.parse("{{ (" + src + ") }}"), what)
        except TemplateSyntaxError as err:
            raise ChecklistError(f"{here}: {what} does not compile: {err.message}") from None
        return compiled

    condition_src = when.get("condition")
    condition = compile_cond(condition_src, "condition") if condition_src is not None else None
    escalate: list[tuple[str, str]] = []
    compiled_esc: list[tuple[Any, str]] = []
    for item in raw.get("escalate") or []:
        if not isinstance(item, dict) or set(item) - ESCALATE_KEYS or item.get("severity") not in SEVERITIES:
            raise ChecklistError(f"{here}: escalate entries are {{condition, severity}} with a known severity")
        escalate.append((item["condition"], item["severity"]))
        compiled_esc.append((compile_cond(item["condition"], "escalate condition"), item["severity"]))
    for what, src in (("title", raw["title"]), ("why", why)):
        try:
            names_ok(env.parse(src), what)
        except TemplateSyntaxError as err:
            raise ChecklistError(f"{here}: {what} has a template error: {err.message}") from None
    tname = raw["template"]
    if tname not in templates:
        raise ChecklistError(f"{here}: template {tname!r} not found in templates/")
    if tname in bad_templates:
        raise ChecklistError(f"{here}: template {tname} has a syntax error at {bad_templates[tname]}")
    names_ok(parsed[tname], f"template {tname}")
    for ref in meta.find_referenced_templates(parsed[tname]):
        if ref is not None and ref in bad_templates:
            raise ChecklistError(f"{here}: template {ref} (used by {tname}) has a syntax error at {bad_templates[ref]}")
        if ref is not None and ref not in templates:
            raise ChecklistError(f"{here}: template {tname} imports missing {ref}")
    return Rule(
        id=rid, file=where, feed=feed, types=types or ("*",), kinds=tuple(kinds),
        elements=elements, condition_src=condition_src, phase=phase, severity=severity,
        title=raw["title"], template=tname, why=why.strip(), per=per, escalate=escalate,
        condition=condition, escalate_compiled=compiled_esc,
    )
