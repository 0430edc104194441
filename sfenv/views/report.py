"""The HTML report: `render_report(data) -> str`, one self-contained HTML file (inline CSS, no
network), and `report_to_dict`, its JSON form.

Nothing here reads a store or a config: `sfenv.services.report.collect.collect_report` fills
`ReportData` (`sfenv.services.report.model`), so rendering can be tested from constructed data. The
templates are the views' (`sfenv/views/templates/report/`), loaded as package data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sfenv.services.report.model import ReportData, RoleNode, slug


def report_to_dict(data: ReportData) -> dict[str, Any]:
    """Plain JSON-ready dict (stable keys; see docs/json-schemas.md, "report")."""
    out = dataclasses.asdict(data)
    out.pop("adoption_html", None)  # HTML; `sfenv adoption --json` has the figures
    for env, raw in zip(data.path, out["path"], strict=True):
        raw["short"] = env.short
    for hop, raw in zip(data.hops, out["hops"], strict=True):
        raw["total"] = hop.total
    return out


# ---------------------------------------------------------------- rendering


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sfenv.views", "templates/report"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["role_tokens"] = role_tokens
    env.filters["slug"] = slug
    env.filters["when"] = _when
    return env


def render_report(data: ReportData) -> str:
    """The whole report as one HTML document."""
    return _environment().get_template("report.html.j2").render(r=data)


@dataclass(frozen=True)
class Token:
    kind: Literal["open", "item", "end-item", "close"]
    node: RoleNode | None = None


def role_tokens(roots: Sequence[RoleNode]) -> Iterator[Token]:
    """A tree as flat open/item/close tokens, so deep hierarchies never hit a recursion limit."""
    if not roots:
        return
    yield Token("open")
    # A node to emit, or None: "close the list of children opened just before".
    stack: list[RoleNode | None] = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node is None:
            yield Token("close")
            yield Token("end-item")
            continue
        yield Token("item", node)
        if node.children:
            yield Token("open")
            stack.append(None)
            stack.extend(reversed(node.children))
        else:
            yield Token("end-item")
    yield Token("close")


def _when(value: str | None) -> str:
    """ISO timestamps as `2024-05-01 14:03 UTC`; anything else unchanged; empty for None."""
    if not value:
        return ""
    text = str(value)
    if len(text) >= 16 and text[4] == "-" and text[10] in "T ":
        tail = " UTC" if text.endswith(("Z", "+00:00", "+0000", ".000Z")) else ""
        return f"{text[:10]} {text[11:16]}{tail}"
    return text
