"""Diffs as JSON (schema `sfenv.diff/1`, docs/json-schemas.md), plain text, markdown, rich."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sfenv.core.compare.model import Attribution, Change, Diff, ElementChange

SCHEMA = "sfenv.diff/1"
KIND_MARK = {"added": "+", "removed": "-", "modified": "~"}


def attribution_json(by: Attribution) -> dict[str, str | None]:
    return {"by": by.last_modified_by, "date": by.last_modified_date}


def element_json(e: ElementChange) -> dict[str, Any]:
    return {"path": e.path, "kind": e.kind, "old": e.old, "new": e.new, "text": str(e)}


def change_json(c: Change) -> dict[str, Any]:
    return {
        "component": str(c.component), "type": c.component.type, "name": c.component.full_name,
        "kind": c.kind, "parent": str(c.parent) if c.parent else None, "path": c.path,
        "elements": [element_json(e) for e in c.elements],
        "a_modified": attribution_json(c.old_by), "b_modified": attribution_json(c.new_by),
    }


def summary(changes: list[Change]) -> dict[str, Any]:
    kinds = Counter(c.kind for c in changes)
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for c in changes:
        by_type[c.component.type][c.kind] += 1
    return {
        "total": len(changes), **{k: kinds.get(k, 0) for k in ("added", "removed", "modified")},
        "by_type": {t: {k: n.get(k, 0) for k in ("added", "removed", "modified")}
                    for t, n in sorted(by_type.items())},
    }


def diff_json(diff: Diff) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "a": {"name": diff.a, "commit": diff.a_commit},
        "b": {"name": diff.b, "commit": diff.b_commit},
        "summary": summary(diff.changes),
        "changes": [change_json(c) for c in diff.changes],
        "files_changed": diff.files_changed,
        "blobs_read": diff.blobs_read,
    }


def _grouped(changes: list[Change]) -> dict[str, list[Change]]:
    groups: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        groups[c.component.type].append(c)
    return dict(sorted(groups.items()))


def _who(c: Change) -> str:
    by = c.new_by if c.kind != "removed" else c.old_by
    parts = [p for p in (by.last_modified_by, (by.last_modified_date or "")[:10]) if p]
    return ", ".join(parts)


def diff_text(diff: Diff, *, max_elements: int = 8) -> str:
    """Plain text grouped by type (for pipes and CI logs)."""
    title = f"{diff.a or diff.a_commit[:12]} → {diff.b or diff.b_commit[:12]}"
    if not diff.changes:
        return f"{title}: no differences\n"
    s = summary(diff.changes)
    lines = [f"{title}: {s['total']} differences "
             f"({s['added']} added, {s['removed']} removed, {s['modified']} modified)"]
    for type_name, changes in _grouped(diff.changes).items():
        lines.append("")
        lines.append(f"{type_name} ({len(changes)})")
        for c in changes:
            who = _who(c)
            lines.append(f"  {KIND_MARK[c.kind]} {c.component.full_name}"
                         + (f"    [{who}]" if who else ""))
            for e in c.elements[:max_elements]:
                lines.append(f"      {e}")
            if len(c.elements) > max_elements:
                lines.append(f"      … {len(c.elements) - max_elements} more")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def diff_markdown(diff: Diff) -> str:
    """A markdown section (pull-request comments, release notes)."""
    title = f"`{diff.a or diff.a_commit[:12]}` → `{diff.b or diff.b_commit[:12]}`"
    if not diff.changes:
        return f"### {title}\n\nNo differences.\n"
    s = summary(diff.changes)
    out = [f"### {title}", "",
           f"{s['total']} differences: {s['added']} added, {s['removed']} removed, "
           f"{s['modified']} modified.", ""]
    for type_name, changes in _grouped(diff.changes).items():
        out += [f"#### {type_name} ({len(changes)})", "", "| | Component | Details | Last modified |",
                "|---|---|---|---|"]
        for c in changes:
            details = "<br>".join(_md(str(e)) for e in c.elements[:8])
            out.append(f"| {KIND_MARK[c.kind]} | `{_md(c.component.full_name)}` | {details} "
                       f"| {_md(_who(c))} |")
        out.append("")
    return "\n".join(out)


def print_diff_rich(diff: Diff, console: Any, *, max_elements: int = 8) -> None:
    """A rich table per type (on a terminal)."""
    from rich.table import Table

    title = f"{diff.a or diff.a_commit[:12]} → {diff.b or diff.b_commit[:12]}"
    if not diff.changes:
        console.print(f"{title}: [green]no differences[/green]")
        return
    s = summary(diff.changes)
    console.print(f"[bold]{title}[/bold]: {s['total']} differences "
                  f"([green]{s['added']} added[/green], [red]{s['removed']} removed[/red], "
                  f"[yellow]{s['modified']} modified[/yellow])")
    colour = {"added": "green", "removed": "red", "modified": "yellow"}
    for type_name, changes in _grouped(diff.changes).items():
        table = Table(title=f"{type_name} ({len(changes)})", title_justify="left",
                      show_lines=False, expand=False)
        table.add_column("", width=1)
        table.add_column("Component", overflow="fold")
        table.add_column("Details", overflow="fold")
        table.add_column("Last modified", overflow="fold")
        for c in changes:
            details = "\n".join(str(e) for e in c.elements[:max_elements])
            if len(c.elements) > max_elements:
                details += f"\n… {len(c.elements) - max_elements} more"
            table.add_row(f"[{colour[c.kind]}]{KIND_MARK[c.kind]}[/]", c.component.full_name,
                          details, _who(c))
        console.print(table)
