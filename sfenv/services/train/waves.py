"""Split a package that is over the Metadata API's deploy limits into ordered waves.

Units (a top-level component's files) are ordered so that what a component needs is deployed
in the same or an earlier wave, then packed greedily. Sizes are counted uncompressed, which
over-estimates the zipped size the limit is about: a wave may be smaller than it could be,
never too big.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

from sfenv.core.metadata.ids import ID_ORDER, ComponentId
from sfenv.core.metadata.registry import Registry
from sfenv.errors import ReleaseError
from sfenv.services.train.model import Limits, PackageFiles, Wave
from sfenv.services.train.package import DESTRUCTIVE_POST, DESTRUCTIVE_PRE, PACKAGE, Unit, manifest


def order_units(units: Sequence[Unit], needs: Mapping[ComponentId, set[ComponentId]],
                registry: Registry) -> list[Unit]:
    """Dependencies first (Kahn's algorithm, ties by name; a cycle is broken by name)."""
    by_owner = {u.owner: u for u in units}
    member_owner = {m: u.owner for u in units for m in u.members}
    deps: dict[ComponentId, set[ComponentId]] = {u.owner: set() for u in units}
    for unit in units:
        for member in unit.members:
            for ref in needs.get(member, ()):
                owner = member_owner.get(ref) or registry.parent_id(ref)
                if owner in by_owner and owner != unit.owner:
                    deps[unit.owner].add(owner)
    users: dict[ComponentId, set[ComponentId]] = {o: set() for o in deps}
    for owner, ds in deps.items():
        for d in ds:
            users[d].add(owner)
    remaining = {o: len(ds) for o, ds in deps.items()}
    # the heap holds (name key, id): tuples of strings compare in C, ComponentIds in Python
    ready = [(ID_ORDER(o), o) for o, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    out: list[Unit] = []
    done: set[ComponentId] = set()
    while len(out) < len(units):
        if not ready:  # a cycle: deploy its smallest member first, the rest follow
            first = min((o for o in remaining if o not in done), key=ID_ORDER)
            heapq.heappush(ready, (ID_ORDER(first), first))
        _, owner = heapq.heappop(ready)
        if owner in done:
            continue
        done.add(owner)
        out.append(by_owner[owner])
        for user in users[owner]:
            remaining[user] -= 1
            if remaining[user] == 0 and user not in done:
                heapq.heappush(ready, (ID_ORDER(user), user))
    return out


def fits(pkg: PackageFiles, limits: Limits) -> bool:
    members = pkg.zip_members()
    return len(members) <= limits.max_files and sum(map(len, members.values())) <= limits.max_bytes


def split(pkg: PackageFiles, units: Sequence[Unit], needs: Mapping[ComponentId, set[ComponentId]],
          limits: Limits, registry: Registry, api_version: str
          ) -> list[tuple[Wave, dict[str, bytes]]]:
    """[(wave, zip members)] in deploy order; one wave holding the whole package when it fits.

    Pre-deploy deletions go with the first wave, post-deploy deletions with the last.
    """
    if fits(pkg, limits):
        members = pkg.zip_members()
        return [(Wave(1, len(members), sum(map(len, members.values())),
                      [str(m) for m in pkg.deployed],
                      has_destructive=bool(pkg.deleted)), members)]
    batches: list[list[Unit]] = [[]]
    files = bytes_ = 0
    # each wave's package.xml, and a destructive manifest where there are deletions
    overhead_files = 1 + (1 if pkg.deleted else 0)
    overhead_bytes = sum(len(b) for p, b in pkg.files.items() if not p.startswith("src/"))
    for unit in order_units(units, needs, registry):
        n, size = len(unit.files), unit.size
        if n + overhead_files > limits.max_files or size + overhead_bytes > limits.max_bytes:
            raise ReleaseError(f"{unit.owner} alone is over the deploy limits "
                               f"({n} files, {size} bytes; limits {limits.max_files} files, "
                               f"{limits.max_bytes} bytes)")
        if batches[-1] and (files + n + overhead_files > limits.max_files
                            or bytes_ + size + overhead_bytes > limits.max_bytes):
            batches.append([])
            files = bytes_ = 0
        batches[-1].append(unit)
        files += n
        bytes_ += size
    pre = set(pkg.pre_deleted)
    post = [d for d in pkg.deleted if d not in pre]
    out: list[tuple[Wave, dict[str, bytes]]] = []
    for number, batch in enumerate(batches, 1):
        ids = sorted({m for u in batch for m in u.members}, key=ID_ORDER)
        members = {PACKAGE: manifest(ids, registry, api_version)}
        if number == 1 and pkg.pre_deleted:
            members[DESTRUCTIVE_PRE] = manifest(pkg.pre_deleted, registry, api_version)
        if number == len(batches) and post:
            members[DESTRUCTIVE_POST] = manifest(post, registry, api_version)
        for unit in batch:
            members.update(unit.files)
        members = dict(sorted(members.items()))
        destructive = DESTRUCTIVE_PRE in members or DESTRUCTIVE_POST in members
        out.append((Wave(number, len(members), sum(map(len, members.values())),
                         [str(i) for i in ids], has_destructive=destructive), members))
    return out
