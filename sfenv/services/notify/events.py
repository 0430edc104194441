"""What sfenv tells the team: one event, the same for every channel."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """One thing that happened. `kind` is one of `sfenv.config.notify.EVENT_KINDS`; `facts`
    are short label/value pairs (train, deploy id, who); `lines` the details, most important
    first; `command` what to run next, when there is one."""

    kind: str
    title: str
    env: str | None = None
    summary: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    lines: tuple[str, ...] = ()
    command: str = ""
    project: str = ""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["facts"] = [{"name": n, "value": v} for n, v in self.facts]
        out["lines"] = list(self.lines)
        return out
