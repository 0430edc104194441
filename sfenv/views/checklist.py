"""Checklist output: a markdown task list, stable JSON, and an HTML fragment for the report.
Also the role hierarchy tree (text and HTML) with the changes marked."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from sfenv.core.checklist.model import PHASES, Step
from sfenv.core.checklist.roles import TreeNode, describe, tree_lines

Done = Mapping[str, Mapping[str, str]]  # step id -> {"by", "at"}
PHASE_TITLES = {"before": "Before deploy", "after": "After deploy"}
JSON_VERSION = 1
PRE = "| "  # a detail line starting so is preformatted text (the role tree)


def _env() -> Environment:
    env = Environment(loader=PackageLoader("sfenv.views", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["describe"] = describe
    env.tests["pre"] = lambda line: str(line).startswith(PRE)
    return env


def to_markdown(steps: Sequence[Step], done: Done | None = None, *, heading: str = "") -> str:
    """`- [ ] **BEFORE** [critical] Title` lines grouped by phase; done steps `- [x]`."""
    done = done or {}
    out: list[str] = [f"# {heading}", ""] if heading else []
    for phase in PHASES:
        group = [s for s in steps if s.phase == phase]
        if not group:
            continue
        out += [f"## {PHASE_TITLES[phase]}", ""]
        for step in group:
            mark = "x" if step.id in done else " "
            sev = f" [{step.severity}]" if step.severity != "info" else ""
            out.append(f"- [{mark}] **{phase.upper()}**{sev} {step.title} (`{step.id}`)")
            out += _md_details(step.details)
            if step.why:
                out.append(f"    - _Why:_ {step.why}")
            if step.owner:
                out.append(f"    - _Owner:_ {step.owner}")
            if step.id in done:
                d = done[step.id]
                out.append(f"    - _Done by {d.get('by', '')} at {d.get('at', '')}_")
        out.append("")
    if not steps:
        out += ["No manual steps.", ""]
    return "\n".join(out)


def _md_details(details: Sequence[str]) -> list[str]:
    """Details as nested bullets; "  - x" lines one level deeper; "| " lines (preformatted,
    e.g. the role tree) as a fenced block."""
    out: list[str] = []
    pre: list[str] = []
    for line in [*details, None]:
        if line is not None and line.startswith(PRE):
            pre.append(line[len(PRE):])
            continue
        if pre:
            out += ["", "    ```", *[f"    {p}" for p in pre], "    ```"]
            pre = []
        if line is None:
            break
        text = line.strip()
        out.append(f"        {text}" if text.startswith("- ") else f"    - {text}")
    return out


def to_json(steps: Sequence[Step], done: Done | None = None, *, train: str = "",
            env: str = "") -> dict[str, Any]:
    """The documented JSON form (docs/json-schemas.md, "checklist")."""
    done = done or {}
    items = []
    for step in steps:
        d = done.get(step.id)
        items.append({**step.to_dict(), "done": d is not None,
                      "done_by": d.get("by") if d else None, "done_at": d.get("at") if d else None})
    return {
        "version": JSON_VERSION, "train": train, "env": env, "steps": items,
        "counts": {"total": len(items), "open": sum(1 for i in items if not i["done"]),
                   "before_open": sum(1 for i in items if not i["done"] and i["phase"] == "before")},
    }


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_html(steps: Sequence[Step], done: Done | None = None, *, heading: str = "",
            tree: TreeNode | None = None) -> str:
    """An HTML fragment (no <html>): the report embeds it; inline classes only."""
    done = done or {}
    groups = [(PHASE_TITLES[p], p, [s for s in steps if s.phase == p]) for p in PHASES]
    return _env().get_template("checklist.html.j2").render(
        heading=heading, groups=[g for g in groups if g[2]], done=done, tree=tree)


def role_tree_text(root: TreeNode, *, changed_only: bool = False) -> str:
    return "\n".join(tree_lines(root, changed_only_context=changed_only)) + "\n"


def role_tree_html(root: TreeNode) -> Markup:
    """Nested lists; each item has class `role-<status>` (added, removed, moved, modified)."""
    # a template's macros are attributes jinja2 makes at run time: its types cannot name them
    html = _env().get_template("checklist.html.j2").module.role_tree(root)  # type: ignore[attr-defined]
    return Markup(str(html))
