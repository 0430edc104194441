"""A snapshot never loses what the org holds without saying so.

- `refuse_losses`: a listed component that came back without files (and is on no skip list),
  or a full pull that retrieved nothing, stops the pull: the ref stays where it was.
- A member Salesforce cannot retrieve (on the skip list) keeps its previous files and index
  entry, marked stale: `keep_stale` for full pulls, `incremental_removals` for incremental ones.
- Profiles retrieved without a stale member keep their previous entries for it
  (`keep_stale_profile_entries`); unchanged profiles after related components came or went
  keep their previous permissions (`patch_profiles`).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.profiles import filter_profile, merge_profiles
from sfenv.core.metadata.registry import Registry
from sfenv.errors import OrgError
from sfenv.io.store.stream import BlobId
from sfenv.services.pull.listing import Inventory
from sfenv.services.pull.plan import Plan
from sfenv.services.pull.retrieval import RideAlong

ReadBlob = Callable[[str], bytes]
Files = dict[str, bytes | BlobId]  # a snapshot's files: bytes, or blobs already written


def refuse_losses(env: str, plan: Plan, ride: RideAlong, retrieved: Files,
                  skipped: list[dict[str, Any]], registry: Registry, incremental: bool,
                  inventory: Inventory, previous_meta: dict[str, Any] | None, *,
                  ignore: AbstractSet[ComponentId] = frozenset()) -> None:
    """OrgError (ref unmoved) when the snapshot would lose what the skip list does not name
    (`ignore`: known names the org does not have, such as absent standard value sets)."""
    previous_count = int((previous_meta or {}).get("components") or 0)
    if not incremental and not inventory.top and previous_count:
        raise OrgError(f"{env}: the org listed no components (the last snapshot has "
                       f"{previous_count}); snapshot not written, the ref is unmoved")
    if incremental and not inventory.top and previous_count:
        raise OrgError(f"{env}: this pull would remove all {previous_count} components and "
                       "retrieve nothing (a manifest or exclude that now matches nothing?); "
                       f"snapshot not written, the ref is unmoved; check the manifest, then run "
                       f"`sfenv pull {env} --full` to take the org as a full listing finds it")
    wanted = len(plan.members) + len(plan.profiles)
    if not incremental and wanted and not retrieved:
        raise OrgError(f"{env}: a full pull of {wanted} components retrieved nothing "
                       f"({len(skipped)} skipped); snapshot not written, the ref is unmoved")
    owners = {registry.component_of(path) for path in retrieved}
    named = {s["component"] for s in skipped}
    lost = [str(c) for c in plan.expected(ride)
            if c not in owners and str(c) not in named and c not in ignore]
    if lost:
        raise OrgError(f"{env}: {len(lost)} listed components came back without files "
                       f"(e.g. {', '.join(lost[:3])}); snapshot not written, the ref is unmoved")


def keep_stale(read_blob: ReadBlob, old_paths: dict[str, str], old_index: dict[str, Any],
               skipped: list[dict[str, Any]], files: Files, index: dict[str, Any],
               registry: Registry) -> None:
    """A full pull keeps a skipped member's previous files and index entry, marked stale, so
    the next diff does not read a member Salesforce failed to return as deleted."""
    for entry in skipped:
        cid = ComponentId.parse(entry["component"])
        paths = [p for p in old_paths if not p.startswith(".sfenv/")
                 and registry.component_of(p) == cid]
        for path in paths:
            files.setdefault(path, read_blob(old_paths[path]))
        if str(cid) in old_index:
            index[str(cid)] = old_index[str(cid)]
        if paths:
            entry["stale"] = True


def incremental_removals(plan: Plan, ride: RideAlong, old_paths: dict[str, str],
                         old_index: dict[str, Any], skipped: list[dict[str, Any]], files: Files,
                         index: dict[str, Any], registry: Registry) -> list[str]:
    """The previous snapshot's paths an incremental pull removes: those of replaced and
    removed components not written again; skipped members keep theirs (and their index
    entry), marked stale."""
    owner_of = {p: registry.component_of(p) for p in old_paths if not p.startswith(".sfenv/")}
    stale = plan.replaced | plan.removed
    if plan.profiles:
        stale |= {cid for cid in owner_of.values() if cid and cid.type == ride.type_name}
    removed = {p for p, cid in owner_of.items() if cid in stale and p not in files}
    for entry in skipped:
        cid = ComponentId.parse(entry["component"])
        removed -= {p for p in removed if owner_of[p] == cid}
        if str(cid) in old_index:
            index[str(cid)] = old_index[str(cid)]
            entry["stale"] = True
    return sorted(removed)


def keep_stale_profile_entries(read_blob: ReadBlob, old_paths: dict[str, str],
                               skipped: list[dict[str, Any]], files: Files,
                               registry: Registry, ride: RideAlong) -> None:
    """Profiles retrieved without a stale member hold no entries for it (nor for its fields):
    keep the previous profile's entries for it, so no permission reads as revoked."""
    stale = {ComponentId.parse(s["component"]) for s in skipped if s.get("stale")}
    if not stale:
        return
    for path, data in list(files.items()):
        owner = registry.component_of(path)
        if owner is None or owner.type != ride.type_name or path not in old_paths:
            continue
        kept = filter_profile(read_blob(old_paths[path]), stale, source=path)
        data = read_blob(data) if isinstance(data, BlobId) else data
        files[path] = merge_profiles([data, kept], source=path)


def patch_profiles(files: Files, read_blob: ReadBlob, old_paths: dict[str, str],
                   registry: Registry, ride: RideAlong, current: set[ComponentId]) -> None:
    """Unchanged profiles, after components came or went: keep their previous permissions for
    components still there, and take the retrieved entries (the new components') over them."""
    for path, blob in old_paths.items():
        owner = registry.component_of(path)
        if owner is None or owner.type != ride.type_name:
            continue
        kept = filter_profile(read_blob(blob), current, source=path)
        got = files.get(path)
        if isinstance(got, BlobId):
            got = read_blob(got)
        files[path] = merge_profiles([got, kept], source=path) if got is not None else kept
