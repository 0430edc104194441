"""The change record of an environment as markdown (one page an auditor reads) and JSON."""

from __future__ import annotations

from typing import Any

from sfenv.core.compare import counts
from sfenv.services.records.changelog import Changelog, Event

JSON_VERSION = 1
MAX_COMPONENTS = 200  # per event in markdown; JSON has all


def to_json(log: Changelog) -> dict[str, Any]:
    return {"version": JSON_VERSION, **log.to_dict()}


def _who(by: str | None, date: str | None) -> str:
    if not by and not date:
        return ""
    return f" — {by or 'unknown'}" + (f", {date}" if date else "")


def _event_lines(event: Event) -> list[str]:
    who = f" by {event.who}" if event.who else ""
    out = [f"## {event.when} — {event.title}{who}", ""]
    if event.validation_id:
        out.append(f"- Validation: `{event.validation_id}`")
    if event.deploy_ids:
        out.append(f"- Deploy: {', '.join(f'`{d}`' for d in event.deploy_ids)}")
    if event.backup_tag or event.backup_commit:
        commit = f" ({event.backup_commit[:12]})" if event.backup_commit else ""
        out.append(f"- Backup before: `{event.backup_tag or '-'}`{commit}")
    if event.verification:
        mark = "ok" if event.verified else "NOT OK"
        out.append(f"- Verification ({mark}): {event.verification}")
    if event.kind in ("promotion", "hotfix"):
        out.append("- Overwrote changes made in the target: "
                   + ("; ".join(event.overwrites) if event.overwrites else "none"))
    if event.kind in ("first snapshot", "drift", "refresh") and event.commit:
        out.append(f"- Snapshot: `{event.commit[:12]}`")
    for detail in event.details:
        out.append(f"- {detail}")
    if event.components:
        kinds = [c.kind for c in event.components]
        out.append(f"- Changes ({counts.done(kinds.count('added'), kinds.count('changed'), kinds.count('deleted'), kinds.count('manual'))}):")
        for c in event.components[:MAX_COMPONENTS]:
            out.append(f"    - {c.kind} `{c.component}`{_who(c.by, c.date)}")
        if len(event.components) > MAX_COMPONENTS:
            out.append(f"    - … and {len(event.components) - MAX_COMPONENTS} more (see --json)")
    if event.kind in ("promotion", "hotfix"):
        if event.checklist:
            done = sum(1 for s in event.checklist if s.done)
            basis = " (frozen at the promotion)" if event.checklist_basis == "frozen" else ""
            out.append(f"- Checklist{basis}: {done} of {counts.counted(len(event.checklist), 'step')} done")
            for s in event.checklist:
                phase = f"{s.phase} " if s.phase else ""
                tick = f" — done by {s.by} at {s.at}" if s.done else " — open"
                out.append(f"    - [{'x' if s.done else ' '}] {phase}{s.title} (`{s.id}`){tick}")
        else:
            out.append("- Checklist: no manual steps recorded")
    out.append("")
    return out


def to_markdown(log: Changelog) -> str:
    kind = "production" if log.production else "environment"
    out = [f"# Change record: {log.env} ({kind})", ""]
    if not log.events:
        out += [f"Nothing recorded for {log.env} yet (no snapshot, no promotion).", ""]
        return "\n".join(out)
    counts: dict[str, int] = {}
    for e in log.events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    out += [f"{len(log.events)} entries from {log.events[0].when} to {log.events[-1].when}: "
            f"{summary}.", ""]
    for event in log.events:
        out += _event_lines(event)
    return "\n".join(out)
