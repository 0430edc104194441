"""What a pull retrieves: everything (full), or what moved since the previous snapshot.

A component is re-retrieved when its lastModifiedDate moved, when one of its children's did
(Salesforce does not move a CustomObject's date when a field changes), when a child came or
went, or when its type is re-read on every incremental pull (`Registry.always_refreshed`).
Profiles (the type that rides along, `RideAlong`) come back complete only when retrieved with
every related component: an edited profile takes them all; related components that came or
went patch the previous profile files instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.services.pull.listing import Inventory
from sfenv.services.pull.retrieval import RideAlong


@dataclass
class Plan:
    members: list[ComponentId]  # top-level, non-profile members to retrieve
    profiles: list[str]  # profiles to retrieve (with related types riding along)
    replaced: set[ComponentId]  # components whose old files are replaced
    removed: set[ComponentId]  # components gone from the org
    # "full": profiles come back complete (retrieved with every related component);
    # "patch": no profile changed, only related components came or went: the retrieved pieces
    # (entries for the retrieved members) are merged over the previous files
    profile_mode: str = "full"

    def expected(self, ride: RideAlong) -> list[ComponentId]:
        """Every component this plan asks the org for."""
        return [*self.members, *(ride.id(p) for p in self.profiles)]


def make_plan(inventory: Inventory, old_index: dict[str, Any] | None, registry: Registry,
              ride: RideAlong) -> Plan:
    """The full plan (`old_index` None) or the incremental one against the previous index."""
    all_profiles = sorted(c.full_name for c in inventory.top if c.type == ride.type_name)
    non_profile = [c for c in inventory.top if c.type != ride.type_name]
    if old_index is None:
        return Plan(non_profile, all_profiles, set(), set())

    def moved(cid: ComponentId, props: dict[str, Any]) -> bool:
        old = old_index.get(str(cid))
        return old is None or old.get("lastModifiedDate") != props.get("lastModifiedDate")

    old_ids = {ComponentId.parse(k) for k in old_index}
    new_ids = set(inventory.top) | set(inventory.children)
    refreshed = registry.always_refreshed()
    changed_parents: set[ComponentId] = set()
    for cid, props in inventory.children.items():
        if moved(cid, props):
            changed_parents.add(registry.parent_id(cid))
    for cid in old_ids - new_ids:
        if registry.child(cid.type) is not None:
            changed_parents.add(registry.parent_id(cid))
    members = {c for c in non_profile
               if moved(c, inventory.top[c]) or c in changed_parents
               or c.type in refreshed}
    removed = {c for c in old_ids - new_ids if registry.child(c.type) is None}

    related_churn = any(registry.parent_id(c).type in ride.related
                        or c.type in ride.related for c in new_ids ^ old_ids)
    profile_changed = (any(moved(c, inventory.top[c]) for c in inventory.top
                           if c.type == ride.type_name)
                       or any(c.type == ride.type_name for c in removed))
    if profile_changed:
        # an edited profile only comes out complete with every related component beside it
        related = {c for c in non_profile if c.type in ride.related}
        members |= related
        return Plan(sorted(members), all_profiles, members, removed, "full")
    if related_churn:
        return Plan(sorted(members), all_profiles, members, removed, "patch")
    return Plan(sorted(members), [], members, removed, "full")
