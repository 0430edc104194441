"""Tell the team: send an event to the configured channels and record every delivery.

Callers (promotion, backup, monitor…) call `notify` after their own record is written; it
returns the deliveries, and never raises for a channel that failed (each failure is a
warning line for the caller to print, and a line in the notifications record).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sfenv.config.model import Config
from sfenv.core.compare.counts import counted
from sfenv.services.notify.deliver import Delivery, send
from sfenv.services.notify.events import Event
from sfenv.services.records.notifications import record_deliveries
from sfenv.services.records.refwrite import RefWriter


@dataclass
class NotifyResult:
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [f"notification to {d.channel} ({d.kind}) failed after "
                f"{counted(d.attempts, 'attempt')}: {d.reason}" for d in self.deliveries if not d.ok]


def notify(config: Config, store: RefWriter, event: Event, *,
           environ: Mapping[str, str] | None = None,
           send_fn: Callable[..., list[Delivery]] = send) -> NotifyResult:
    """Send `event` (its project filled in) to every channel of sfenv.yml that wants it."""
    if not config.notify:
        return NotifyResult()
    if not event.project:
        event = Event(**{**event.__dict__, "project": config.project})
    deliveries = send_fn(config.notify, event, environ=os.environ if environ is None
                         else environ)
    record_deliveries(store, [d.to_dict() for d in deliveries], event.at)
    return NotifyResult(deliveries)
