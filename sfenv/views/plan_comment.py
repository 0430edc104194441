"""A release plan as one pull-request comment (`release plan … --format markdown-comment`).

The body starts with a hidden marker, so a CI job updates the PR's one sfenv comment in place
instead of adding a new one on every push. Then: a one-line summary without links (for a PR
title check), the warnings that need a person (the target's changes the train would
overwrite, with who and when; dependency problems), the plan grouped by kind and type, and the
computed checklist with its step ids (when the train was built). Long lists are folded in
`<details>` so the comment stays readable; GitHub's 65,536-character limit is kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sfenv.core.checklist.model import PHASES, Step
from sfenv.core.compare.counts import counted
from sfenv.services.train.model import Item, ReleasePlan

MARKER = "<!-- sfenv:plan-comment -->"  # `sfenv ci comment` finds the comment by it

MAX_CHARS = 65_000  # GitHub refuses comment bodies over 65,536 characters
KIND_TITLES = (("adds", "To add"), ("changes", "To change"), ("deletes", "To delete"))


def _md(text: str) -> str:
    """Text safe inside a markdown table cell or list item (no pipes, no HTML, one line)."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", " "))


def summary_line(plan: ReleasePlan) -> str:
    """The line a PR title check can read: counts only, no links, no names."""
    parts = [f"{len(plan.adds)} to add", f"{len(plan.changes)} to change",
             f"{len(plan.deletes)} to delete", f"{len(plan.manual)} manual"]
    if plan.conflicts:
        parts.append(counted(len(plan.conflicts), "overwrite warning"))
    if plan.dependency_problems:
        parts.append(counted(len(plan.dependency_problems), "dependency problem"))
    return f"sfenv plan {plan.train}: {plan.source} → {plan.target}: " + ", ".join(parts)


def _by_type(items: Sequence[Item]) -> dict[str, list[Item]]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.component.split(":", 1)[0]].append(item)
    return dict(sorted(grouped.items()))


def _who(item: Item) -> str:
    if not item.last_modified_by and not item.last_modified_date:
        return ""
    return f" — {_md(item.last_modified_by or '?')}, {_md(item.last_modified_date or '?')}"


def _plan_section(plan: ReleasePlan) -> list[str]:
    out: list[str] = []
    for attr, title in KIND_TITLES:
        items: list[Item] = getattr(plan, attr)
        if not items:
            continue
        out += [f"<details><summary><b>{title}</b> ({len(items)})</summary>", ""]
        for type_name, group in _by_type(items).items():
            out.append(f"**{_md(type_name)}** ({len(group)})")
            out += [f"- `{_md(i.component.split(':', 1)[1])}`{_who(i)}" for i in group]
            out.append("")
        out += ["</details>", ""]
    if plan.manual:
        out += [f"**Held back for a manual step** ({len(plan.manual)})", ""]
        out += [f"- `{_md(i.component)}` ({i.kind}){_who(i)}" for i in plan.manual] + [""]
    return out


def _checklist_section(steps: Sequence[Step]) -> list[str]:
    out = [f"### Checklist ({counted(len(steps), 'step')})", ""]
    for phase in PHASES:
        group = [s for s in steps if s.phase == phase]
        if group:
            out.append(f"**{phase.capitalize()} the deploy**")
            out += [f"- [ ] {_md(s.title)} (`{_md(s.id)}`)"
                    + (f" — {_md(s.severity)}" if s.severity != "info" else "") for s in group]
            out.append("")
    return out


def plan_comment(plan: ReleasePlan, steps: Sequence[Step] | None = None) -> str:
    """The comment body. `steps`: the train's computed checklist, when it was built."""
    out = [MARKER, f"**{_md(summary_line(plan))}**", ""]
    attention: list[str] = []
    for c in plan.conflicts:
        when = f" on {_md(str(c['date']))}" if c.get("date") else ""
        attention.append(f"- ⚠️ would overwrite {_md(plan.target)}'s change by "
                         f"{_md(str(c.get('by') or 'unknown'))}{when}: "
                         f"`{_md(str(c['component']))}` ({_md(str(c.get('status', '')))}) — "
                         f"`release promote` refuses unless `--overwrite` names it")
    attention += [f"- ❌ {_md(str(p))}" for p in plan.dependency_problems]
    attention += [f"- ⚠️ {_md(w)}" for w in plan.warnings]
    if attention:
        out += ["### Needs attention", "", *attention, ""]
    out += [f"### Plan: `{_md(plan.source)}` → `{_md(plan.target)}`", ""] + _plan_section(plan)
    if steps is not None:
        out += _checklist_section(steps)
    out.append(f"<sub>{plan.files} files, {plan.bytes} bytes"
               + (f", {plan.waves} waves" if plan.waves > 1 else "")
               + f"; source {plan.source_commit[:10]}, target {plan.target_commit[:10]}</sub>")
    body = "\n".join(out) + "\n"
    if len(body) > MAX_CHARS:
        cut = body[: MAX_CHARS - 200].rsplit("\n", 1)[0]
        body = cut + "\n\n… (cut to GitHub's comment size: run `sfenv release plan` for the " \
                     "whole plan)\n"
    return body
