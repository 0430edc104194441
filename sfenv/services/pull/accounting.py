"""Backup completeness: per type, what the org listed and what the snapshot holds.

A pull asks for what listMetadata returned; the org may still leave things out of the zip
without an error. `account` compares what was asked for with the files that came back:
- listed: top-level components the org listed (plus known names that came back, for types
  that cannot be listed);
- retrieved: listed components the snapshot holds (on an incremental pull, components not
  asked for again are held from the previous snapshot and count as retrieved);
- skipped: components the retrieve isolated and put on the skip list (with their reason);
- missing: asked for, not skipped, and absent from the zip;
- excluded: left out by `exclude:` in sfenv.yml; managed: left out by `include_managed: false`.
Known names that did not come back (a standard value set the org does not have) are no loss:
they are neither listed nor missing, and the retrieve's "cannot be found" message for them is
dropped. The result goes into the snapshot meta (`accounting`) and the pull's JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.pull.listing import Inventory

NAMED_IN_LINE = 3
MISSING_KEPT = 100  # component ids recorded in the meta (the counts are always complete)
KEYS = ("listed", "retrieved", "skipped", "missing", "excluded", "managed")


@dataclass
class Accounting:
    types: dict[str, dict[str, int]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    excluded_types: dict[str, str] = field(default_factory=dict)
    absent_known: set[ComponentId] = field(default_factory=set)  # known names the org lacks

    def totals(self) -> dict[str, int]:
        return {k: sum(row.get(k, 0) for row in self.types.values()) for k in KEYS}

    def dropped(self) -> set[str]:
        """Component ids to keep out of the snapshot's index (so the next pull asks again)."""
        return set(self.missing) | {str(c) for c in self.absent_known}

    def incomplete_line(self) -> str | None:
        """One line when anything listed did not come back, naming the first few."""
        lost = self.skipped + self.missing
        if not lost:
            return None
        totals = self.totals()
        named = ", ".join(lost[:NAMED_IN_LINE])
        more = f" and {len(lost) - NAMED_IN_LINE} more" if len(lost) > NAMED_IN_LINE else ""
        return (f"incomplete: {len(lost)} of {totals['listed']} listed components did not come "
                f"back ({len(self.skipped)} skipped, {len(self.missing)} missing): {named}{more}")

    def to_json(self) -> dict[str, Any]:
        return {"totals": self.totals(), "types": self.types,
                "missing": self.missing[:MISSING_KEPT], "excluded_types": self.excluded_types,
                "incomplete": self.incomplete_line()}

    def filter_warnings(self, warnings: Iterable[str]) -> list[str]:
        """Warnings without the retrieve's "cannot be found" for known names the org lacks."""
        noise = {f"Entity of type '{c.type}' named '{c.full_name}' cannot be found"
                 for c in self.absent_known}
        return [w for w in warnings if not noise or w.rsplit(": ", 1)[-1] not in noise]


def account(inventory: Inventory, requested: Iterable[ComponentId], files: Iterable[str],
            skipped: list[dict[str, Any]], registry: Registry) -> Accounting:
    """Compare the components asked for with the files that came back (their paths: the
    contents, bytes or blob ids, do not matter); see the docstring."""
    returned = {cid for cid in map(registry.component_of, files) if cid is not None}
    skipped_ids = {s["component"] for s in skipped}
    acc = Accounting(excluded_types=dict(inventory.excluded_types))
    # a type the registry does not know (newer than sfenv) has files we cannot attribute:
    # never call those missing
    absent = [c for c in requested if c not in returned and str(c) not in skipped_ids
              and registry.find(c.type) is not None]
    acc.absent_known = {c for c in absent if c in inventory.guessed}
    acc.missing = sorted(str(c) for c in absent if c not in inventory.guessed)
    acc.skipped = sorted(skipped_ids)
    missing = Counter(ComponentId.parse(m).type for m in acc.missing)
    skips = Counter(ComponentId.parse(s).type for s in skipped_ids)
    listed = Counter(c.type for c in inventory.top if c not in acc.absent_known
                     and (c not in inventory.guessed or c in returned))
    for type_name in sorted(set(listed) | set(inventory.excluded) | set(inventory.managed)):
        row = {"listed": listed[type_name], "skipped": skips[type_name],
               "missing": missing[type_name], "excluded": inventory.excluded[type_name],
               "managed": inventory.managed[type_name]}
        row["retrieved"] = row["listed"] - row["skipped"] - row["missing"]
        acc.types[type_name] = {k: row[k] for k in KEYS}
    return acc


def completeness(store: SnapshotStore, commit: str) -> dict[str, Any] | None:
    """Backup completeness of a snapshot, for `sfenv log` and the report: listed, retrieved,
    skipped, missing counts, `complete` (nothing listed was lost) and `percent` retrieved of
    listed; None for snapshots taken before accounting existed."""
    meta = store.meta(commit)
    accounting = meta.get("accounting") if isinstance(meta, dict) else None
    if not accounting:
        return None
    totals = dict(accounting.get("totals", {}))
    listed = totals.get("listed", 0)
    lost = totals.get("skipped", 0) + totals.get("missing", 0)
    totals["complete"] = lost == 0
    totals["percent"] = round(100.0 * totals.get("retrieved", 0) / listed, 2) if listed else 100.0
    totals["incomplete"] = accounting.get("incomplete")
    totals["excluded_types"] = sorted(accounting.get("excluded_types", {}))
    return totals
