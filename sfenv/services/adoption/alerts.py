"""Adoption verdicts as a notification: exception-only, one event per run when something is
unused after the configured days (nothing when all is used, low or still settling)."""

from __future__ import annotations

from sfenv.services.adoption.service import AdoptionRun
from sfenv.services.notify.events import Event

EVENT_KIND = "adoption_unused"  # to be listed in sfenv.config.notify.EVENT_KINDS (exception)


def adoption_events(run: AdoptionRun) -> list[Event]:
    unused = run.unused_settled
    if not unused:
        return []
    trains = sorted({m.train for m in unused})
    title = (f"{len(unused)} components unused after {run.settings.days} days"
             if len(unused) > 1 else f"unused after {run.settings.days} days")
    return [Event(EVENT_KIND, title, env=run.env,
                  summary=f"{unused[0].component} ({unused[0].train}): {unused[0].why}",
                  facts=(("trains", ", ".join(trains)),),
                  lines=tuple(f"{m.component} ({m.train}): {m.why}" for m in unused[1:]),
                  command=f"sfenv adoption --env {run.env}")]
