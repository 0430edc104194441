"""Path status as JSON (schema `sfenv.status/1`, docs/json-schemas.md), text, markdown, rich.

Differences carried from before the last sync point keep their class and are shown
"(since before <date>)"; differences a human accepted with `sfenv sync-point` are counted in
the headline and listed only with `show_accepted` (`sfenv status --all`) and always in JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sfenv.core.compare.model import HopStatus, PathClass, PathEntry
from sfenv.core.compare.status import no_dates_hint
from sfenv.services.records.refreshes import SandboxRefresh
from sfenv.views.diff import change_json

SCHEMA = "sfenv.status/1"
STATUSES: tuple[PathClass, ...] = ("pending", "drift", "conflict")


def entry_json(e: PathEntry) -> dict[str, Any]:
    return {
        "status": e.status, "component": str(e.change.component),
        "type": e.change.component.type, "name": e.change.component.full_name,
        "reason": e.reason, "outside_release": e.outside_release,
        "since_before": e.since_before, "accepted": e.accepted,
        "change": change_json(e.change),
        "source_change": change_json(e.source_change) if e.source_change else None,
        "target_change": change_json(e.target_change) if e.target_change else None,
        "audit": e.audit,
    }


def hop_json(h: HopStatus) -> dict[str, Any]:
    info = h.base_info or {}
    return {
        "source": h.source, "target": h.target, "target_is_production": h.target_is_production,
        "mode": h.mode, "note": h.note,
        "source_commit": h.source_commit, "target_commit": h.target_commit,
        "base": {"source_commit": h.base[0], "target_commit": h.base[1],
                 "when": info.get("when"), "by": info.get("by"), "reason": info.get("reason"),
                 "kind": info.get("kind")} if h.base else None,
        "counts": {**{s: len(h.of(s)) for s in STATUSES},
                   "accepted": len(h.accepted)},
        "known_differences": h.known_differences,
        "outside_release": sum(1 for e in h.entries if e.outside_release),
        "entries": [entry_json(e) for e in h.entries],
        "accepted": [entry_json(e) for e in h.accepted],
    }


def status_json(hops: list[HopStatus], sandboxes: list[SandboxRefresh] | None = None,
                ) -> dict[str, Any]:
    totals: dict[str, int] = {s: sum(len(h.of(s)) for h in hops) for s in STATUSES}
    totals["accepted"] = sum(len(h.accepted) for h in hops)
    rows = sandboxes or []
    return {"schema": SCHEMA, "hops": [hop_json(h) for h in hops], "totals": totals,
            "sandboxes": [r.to_dict() for r in rows],
            "warnings": [r.warning for r in rows if r.warning]}


def sandbox_line(r: SandboxRefresh) -> str:
    """"qa: last refreshed 2026-10-01 02:00 UTC (org 00D…; refresh: monthly)"."""
    when = (f"last refreshed {_when(r.last_refreshed)}" if r.last_refreshed else
            "no refresh seen" + (f" since {_when(r.first_seen)}" if r.first_seen else ""))
    extra = [f"org {r.org_id}"] if r.org_id else []
    if r.cadence:
        extra.append(f"refresh: {r.cadence}")
    return f"{r.env}: {when}" + (f" ({'; '.join(extra)})" if extra else "")


def sandboxes_text(rows: list[SandboxRefresh]) -> list[str]:
    if not rows:
        return []
    lines = ["Sandboxes:"] + [f"  {sandbox_line(r)}" for r in rows]
    return lines + [f"warning: {r.warning}" for r in rows if r.warning] + [""]


def _when(text: str | None) -> str:
    """An ISO 8601 instant as "2026-11-22 11:41 UTC" (as given when it does not parse)."""
    if not text:
        return "?"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _headline(h: HopStatus) -> str:
    if h.mode == "no-snapshot":
        return f"{h.source} → {h.target}: {h.note}"
    counts = ", ".join(f"{len(h.of(s))} {s}" for s in STATUSES)
    if h.accepted:
        counts += f", {len(h.accepted)} accepted"
    if h.base:
        base = f"since sync point of {_when((h.base_info or {}).get('when'))}"
    elif h.note and h.note.startswith("no sync point"):
        base = "the side that changed is told by lastModifiedDate"  # the note said "no sync point"
    else:
        base = "no sync point: the side that changed is told by lastModifiedDate"
    if h.note:  # e.g. "re-baselined after the refresh of qa on DATE", the first snapshots
        base = f"{h.note}; {base}"
    prod = " (production)" if h.target_is_production else ""
    return f"{h.source} → {h.target}{prod}: {counts} [{base}]"


def _since(e: PathEntry) -> str:
    return f"(since before {_when(e.since_before)}) " if e.since_before else ""


def _accepted_note(h: HopStatus) -> str:
    n = len(h.accepted)
    return (f"{n} accepted difference{'s' if n != 1 else ''} not shown "
            "(`sfenv status --all` lists them)")


def status_text(hops: list[HopStatus], *, show_accepted: bool = False,
                sandboxes: list[SandboxRefresh] | None = None) -> str:
    lines: list[str] = []
    for h in hops:
        lines.append(_headline(h))
        for status in STATUSES:
            for e in h.of(status):
                flag = "  !" if e.outside_release else "   "
                lines.append(f"{flag} {status:<8} {e.change.component}  {_since(e)}({e.reason})")
                for row in e.audit[:3]:
                    lines.append(f"      audit: {row.get('CreatedDate', '')} "
                                 f"{row.get('CreatedByName', '')}: {row.get('Display', '')}")
        hint = no_dates_hint(h)
        if hint:
            lines.append(f"    hint: {hint}")
        if h.accepted and show_accepted:
            for e in h.accepted:
                lines.append(f"    accepted {e.change.component}  (was {e.status}; {e.reason})")
        elif h.accepted:
            lines.append(f"    {_accepted_note(h)}")
        lines.append("")
    if not lines:
        return "no promotion path configured\n"
    return "\n".join(lines + sandboxes_text(sandboxes or []))


def status_markdown(hops: list[HopStatus], *, show_accepted: bool = False,
                    sandboxes: list[SandboxRefresh] | None = None) -> str:
    out = ["### Promotion path status", ""]
    for h in hops:
        out += [f"#### {_headline(h)}", ""]
        rows = [(e.status + (" ⚠" if e.outside_release else ""), e) for e in h.entries]
        if show_accepted:
            rows += [(f"accepted (was {e.status})", e) for e in h.accepted]
        if rows:
            out += ["| Status | Component | Why |", "|---|---|---|"]
            for label, e in rows:
                why = (_since(e) + e.reason).replace("|", "/")
                out.append(f"| {label} | `{e.change.component}` | {why} |")
            out.append("")
        if h.accepted and not show_accepted:
            out += [f"_{_accepted_note(h)}_", ""]
        if no_dates_hint(h):
            out += [f"_Hint: {no_dates_hint(h)}._", ""]
    if sandboxes:
        out += ["#### Sandboxes", ""] + [f"- {sandbox_line(r)}" for r in sandboxes]
        out += [f"- **{r.warning}**" for r in sandboxes if r.warning] + [""]
    return "\n".join(out) + "\n"


def print_status_rich(hops: list[HopStatus], console: Any, *, show_accepted: bool = False,
                      sandboxes: list[SandboxRefresh] | None = None) -> None:
    from rich.table import Table

    colour = {"pending": "cyan", "drift": "magenta", "conflict": "red"}
    for h in hops:
        console.print(f"[bold]{_headline(h)}[/bold]")
        shown = h.entries + (h.accepted if show_accepted else [])
        if shown:
            table = Table(show_lines=False)
            table.add_column("Status")
            table.add_column("Component", overflow="fold")
            table.add_column("Why", overflow="fold")
            for e in shown:
                if e.accepted is not None:
                    label = f"[dim]accepted (was {e.status})[/]"
                else:
                    mark = " [bold red]outside release[/]" if e.outside_release else ""
                    label = f"[{colour[e.status]}]{e.status}[/]{mark}"
                table.add_row(label, str(e.change.component), _since(e) + e.reason,
                              style="dim" if e.accepted is not None else None)
            console.print(table)
        if h.accepted and not show_accepted:
            console.print(f"  [dim]{_accepted_note(h)}[/dim]")
        if no_dates_hint(h):
            console.print(f"  hint: {no_dates_hint(h)}", markup=False, highlight=False)
    for line in sandboxes_text(sandboxes or []):
        style = "bold yellow" if line.startswith("warning:") else None
        console.print(line, style=style, markup=False, highlight=False)
