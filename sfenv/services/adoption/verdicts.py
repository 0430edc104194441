"""The verdict rules, on plain figures: used / low / unused / unknown.

Kept apart from the org reads so each rule is tested on its own. A rule never turns a missing
figure into 0: no figure gives `unknown` with the reason, so a component nobody can measure is
never reported as unused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfenv.config.adoption import AdoptionSettings
from sfenv.core.compare.counts import counted

USED, LOW, UNUSED, UNKNOWN = "used", "low", "unused", "unknown"


@dataclass(frozen=True)
class Verdict:
    verdict: str
    why: str


def by_share(share: float | None, settings: AdoptionSettings, what: str,
             missing: str = "") -> Verdict:
    """A share (fill rate, reach, active share) against `used` and `low`; None is unknown."""
    if share is None:
        return Verdict(UNKNOWN, missing or f"no {what} to measure")
    shown = f"{what} {share:.0%}"
    if share >= settings.used and share > 0:
        return Verdict(USED, f"{shown} (used from {settings.used:.0%})")
    if share >= settings.low and share > 0:
        return Verdict(LOW, f"{shown} (below {settings.used:.0%})")
    return Verdict(UNUSED, f"{shown} (below {settings.low:.0%})")


def field_fill(filled: int | None, total: int | None, settings: AdoptionSettings,
               missing: str = "") -> Verdict:
    """A field's fill rate on the records created or modified since T0. No record in the window
    says nothing about the field: unknown, not 0%."""
    if filled is None or total is None:
        return Verdict(UNKNOWN, missing or "fill rate not measured")
    if total == 0:
        return Verdict(UNKNOWN, "no record created or modified since the release: no fill rate")
    return by_share(filled / total, settings, "fill rate")


def object_reach(records: int | None, creators: int | None, eligible: int | None,
                 settings: AdoptionSettings) -> Verdict:
    """Records created since T0 and the share of eligible users who created them."""
    if records is None:
        return Verdict(UNKNOWN, "records not counted")
    if records == 0:
        return Verdict(UNUSED, "no record created since the release")
    if creators is None or not eligible:
        return Verdict(USED, f"{counted(records, 'record')} created since the release")
    return by_share(min(1.0, creators / eligible), settings, f"reach ({creators} of {eligible} "
                                                              f"users created records):")


def page_views(days_with_views: int | None, days: int, settings: AdoptionSettings) -> Verdict:
    """A Lightning page: the share of days since T0 on which it was viewed."""
    if days_with_views is None:
        return Verdict(UNKNOWN, "no page view metrics")
    if days <= 0:
        return Verdict(UNKNOWN, "released today: no full day of page views yet")
    return by_share(min(1.0, days_with_views / days), settings, "days with views")


def report_run(ran_since_release: bool | None) -> Verdict:
    if ran_since_release is None:
        return Verdict(UNKNOWN, "the report's last run date could not be read")
    if ran_since_release:
        return Verdict(USED, "run since the release")
    return Verdict(UNUSED, "not run since the release")


def flow_runs(runs: int | None, errors: int | None) -> Verdict:
    """A screen flow: runs since T0 (completed or failed) and their error rate."""
    if runs is None:
        return Verdict(UNKNOWN, "flow runs not counted")
    if runs == 0:
        return Verdict(UNUSED, "no run since the release")
    rate = f", {errors / runs:.0%} failed" if errors is not None else ""
    return Verdict(USED, f"{counted(runs, 'run')} since the release{rate}")


def audience(members: int | None, active: int | None, settings: AdoptionSettings) -> Verdict:
    """A permission set, group or queue: its assignees, and the share who logged in."""
    if members is None:
        return Verdict(UNKNOWN, "assignments not counted")
    if members == 0:
        return Verdict(UNUSED, "nobody assigned")
    if active is None:
        return Verdict(UNKNOWN, f"{members} assigned; their logins could not be read")
    return by_share(active / members, settings, f"active share ({active} of {members} logged "
                                                f"in):")


def settled(age_days: float, settings: AdoptionSettings) -> bool:
    """Whether a verdict has had its `days` to form (only then does --fail-on-unused count it)."""
    return age_days >= settings.days
