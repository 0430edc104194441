"""Who may create an object's records: the profiles and permission sets of the environment's
snapshot whose `objectPermissions` allow create. Read once per run (one pass over those files),
so a run with many objects does not read the profiles again for each."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import unquote

from sfenv.core.metadata.xmlio import local_name, parse_xml
from sfenv.errors import MetadataError
from sfenv.io.store.snapshots import SnapshotStore

# the file names of standard profiles differ from their names (Profile.Name)
STANDARD_PROFILES = {"Admin": "System Administrator", "Standard": "Standard User",
                     "ReadOnly": "Read Only", "ContractManager": "Contract Manager",
                     "MarketingProfile": "Marketing User", "SolutionManager": "Solution Manager",
                     "StandardAul": "Standard Platform User"}
_KINDS = (("profiles/", ".profile"), ("permissionsets/", ".permissionset"))

Grants = dict[str, tuple[set[str], set[str]]]


def object_grants(store: SnapshotStore, commit: str | None) -> Grants:
    """object -> (profile names, permission set names) granting create on it."""
    found: Grants = defaultdict(lambda: (set(), set()))
    if not commit:
        return found
    files = {p: sha for p, sha in store.files(commit).items()
             if any(p.startswith(d) and p.endswith(s) for d, s in _KINDS)}
    blobs = store.read_blobs(set(files.values()))
    for path, sha in sorted(files.items()):
        is_profile = path.startswith("profiles/")
        stem = unquote(path.rsplit("/", 1)[1].rsplit(".", 1)[0])
        name = STANDARD_PROFILES.get(stem, stem) if is_profile else stem
        try:
            root = parse_xml(blobs[sha], path)
        except MetadataError:
            continue  # an unreadable file grants nothing here; the pull reported it
        for el in root:
            if not isinstance(el.tag, str) or local_name(el) != "objectPermissions":
                continue
            values = {local_name(c): (c.text or "").strip() for c in el if isinstance(c.tag, str)}
            if values.get("allowCreate") == "true" and values.get("object"):
                found[values["object"]][0 if is_profile else 1].add(name)
    return found
