"""The report's adoption section, from the recorded days alone (no org call): per environment
the "unused after N days" list first, then one row per train component with its verdict, why,
and a small inline SVG trend (no external asset), coloured by verdict.

The report (`sfenv/services/report/`) includes `adoption_section(store, envs)` as a ready HTML fragment;
every text in it is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.adoption.service import HEADLINE, history

COLOURS = {"used": "#2e7d32", "low": "#ef6c00", "unused": "#c62828", "unknown": "#757575"}
WIDTH, HEIGHT, PAD = 120, 28, 3


def latest_rows(store: SnapshotStore, env: str) -> tuple[dict[str, Any] | None, list[dict]]:
    """The last recorded run of `env` and its rows, each with its trend over the recorded
    days (one point per day: the signal's headline figure and that day's verdict)."""
    days = history(store, env)
    if not days:
        return None, []
    last_day = list(days)[-1]
    run = days[last_day]
    rows = []
    for row in run.get("rows", []):
        key = (row.get("train"), row.get("component"))
        trend = []
        for day, record in days.items():
            for past in record.get("rows", []):
                if (past.get("train"), past.get("component")) == key:
                    figure = HEADLINE.get(str(past.get("signal")), "")
                    trend.append({"day": day, "verdict": past.get("verdict"),
                                  "value": (past.get("figures") or {}).get(figure)})
        rows.append({**row, "trend": trend})
    return run, rows


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    return None


def trend_svg(points: Sequence[dict[str, Any]], verdict: str) -> str:
    """A sparkline of the points' values (a day without a figure leaves a gap, never a 0)."""
    colour = COLOURS.get(verdict, COLOURS["unknown"])
    values = [_number(p.get("value")) for p in points]
    known = [v for v in values if v is not None]
    label = escape(", ".join(f"{p.get('day')}: {'-' if v is None else f'{v:g}'}"
                             for p, v in zip(points, values, strict=True)), quote=True)
    parts = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
             f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{label}"><title>{label}</title>']
    if known:
        low, high = min(known), max(known)
        span = (high - low) or 1.0
        step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
        segment: list[str] = []
        segments = [segment]
        for i, value in enumerate(values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x = PAD + i * step if len(values) > 1 else WIDTH / 2
            y = HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}"/>')
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                             f'points="{" ".join(seg)}"/>')
    parts.append("</svg>")
    return "".join(parts)


def adoption_section(store: SnapshotStore, envs: Sequence[str]) -> str:
    """`<section id="adoption">` for the environments with recorded runs ("" when none)."""
    blocks = []
    for env in envs:
        run, rows = latest_rows(store, env)
        if run is None:
            continue
        days = (run.get("thresholds") or {}).get("days", "?")
        unused = [r for r in rows if r.get("verdict") == "unused" and r.get("settled")]
        ordered = unused + [r for r in rows if r not in unused]
        html = [f'<h3>{escape(env)} <small>measured {escape(str(run.get("measured_at")))}'
                f"</small></h3>"]
        if unused:
            html.append(f'<p class="unused-first"><strong>Unused after {escape(str(days))} '
                        "days:</strong> " + ", ".join(escape(str(r.get("component")))
                                                       for r in unused) + "</p>")
        html.append('<table class="adoption"><thead><tr><th>Component</th><th>Train</th>'
                    "<th>Verdict</th><th>Why</th><th>Trend</th></tr></thead><tbody>")
        for row in ordered:
            verdict = str(row.get("verdict") or "unknown")
            html.append(
                f'<tr class="verdict-{escape(verdict)}"><td>{escape(str(row.get("component")))}'
                f'</td><td>{escape(str(row.get("train")))}</td><td style="color:'
                f'{COLOURS.get(verdict, COLOURS["unknown"])}">{escape(verdict)}</td>'
                f'<td>{escape(str(row.get("why") or ""))}</td>'
                f'<td>{trend_svg(row["trend"], verdict)}</td></tr>')
        html.append("</tbody></table>")
        blocks.append("".join(html))
    if not blocks:
        return ""
    return '<section id="adoption"><h2>Adoption</h2>' + "".join(blocks) + "</section>"
