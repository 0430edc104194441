"""Path status as JSON (schema `sfenv.status/1`, docs/json-schemas.md), text, markdown, rich."""

from __future__ import annotations

from typing import Any

from sfenv.compare.model import HopStatus, PathEntry
from sfenv.render.diff_render import change_json

SCHEMA = "sfenv.status/1"
STATUSES = ("pending", "drift", "conflict")


def entry_json(e: PathEntry) -> dict[str, Any]:
    return {
        "status": e.status, "component": str(e.change.component),
        "type": e.change.component.type, "name": e.change.component.full_name,
        "reason": e.reason, "outside_release": e.outside_release,
        "change": change_json(e.change),
        "source_change": change_json(e.source_change) if e.source_change else None,
        "target_change": change_json(e.target_change) if e.target_change else None,
        "audit": e.audit,
    }


def hop_json(h: HopStatus) -> dict[str, Any]:
    return {
        "source": h.source, "target": h.target, "target_is_production": h.target_is_production,
        "mode": h.mode, "note": h.note,
        "source_commit": h.source_commit, "target_commit": h.target_commit,
        "base": {"source_commit": h.base[0], "target_commit": h.base[1]} if h.base else None,
        "counts": {s: len(h.of(s)) for s in STATUSES},  # type: ignore[arg-type]
        "known_differences": h.known_differences,
        "outside_release": sum(1 for e in h.entries if e.outside_release),
        "entries": [entry_json(e) for e in h.entries],
    }


def status_json(hops: list[HopStatus]) -> dict[str, Any]:
    return {"schema": SCHEMA, "hops": [hop_json(h) for h in hops],
            "totals": {s: sum(len(h.of(s)) for h in hops) for s in STATUSES}}  # type: ignore[arg-type]


def _headline(h: HopStatus) -> str:
    if h.mode == "no-snapshot":
        return f"{h.source} → {h.target}: {h.note}"
    counts = ", ".join(f"{len(h.of(s))} {s}" for s in STATUSES)  # type: ignore[arg-type]
    base = "since sync point" if h.base else "no sync point, by lastModifiedDate"
    prod = " (production)" if h.target_is_production else ""
    return f"{h.source} → {h.target}{prod}: {counts} [{base}]"


def status_text(hops: list[HopStatus]) -> str:
    lines: list[str] = []
    for h in hops:
        lines.append(_headline(h))
        for status in STATUSES:
            for e in h.of(status):  # type: ignore[arg-type]
                flag = "  !" if e.outside_release else "   "
                lines.append(f"{flag} {status:<8} {e.change.component}  ({e.reason})")
                for row in e.audit[:3]:
                    lines.append(f"      audit: {row.get('CreatedDate', '')} "
                                 f"{row.get('CreatedByName', '')}: {row.get('Display', '')}")
        lines.append("")
    return "\n".join(lines) if lines else "no promotion path configured\n"


def status_markdown(hops: list[HopStatus]) -> str:
    out = ["### Promotion path status", ""]
    for h in hops:
        out += [f"#### {_headline(h)}", ""]
        if h.entries:
            out += ["| Status | Component | Why |", "|---|---|---|"]
            for e in h.entries:
                flag = " ⚠" if e.outside_release else ""
                out.append(f"| {e.status}{flag} | `{e.change.component}` | "
                           f"{e.reason.replace('|', '/')} |")
            out.append("")
    return "\n".join(out) + "\n"


def print_status_rich(hops: list[HopStatus], console: Any) -> None:
    from rich.table import Table

    colour = {"pending": "cyan", "drift": "magenta", "conflict": "red"}
    for h in hops:
        console.print(f"[bold]{_headline(h)}[/bold]")
        if not h.entries:
            continue
        table = Table(show_lines=False)
        table.add_column("Status")
        table.add_column("Component", overflow="fold")
        table.add_column("Why", overflow="fold")
        for e in h.entries:
            mark = " [bold red]outside release[/]" if e.outside_release else ""
            table.add_row(f"[{colour[e.status]}]{e.status}[/]{mark}", str(e.change.component),
                          e.reason)
        console.print(table)
