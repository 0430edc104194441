"""Folder files of snapshots taken before #25, renamed to the Metadata API's names.

Snapshots used to hold folders under their source-format name
(`reports/Sales.reportFolder-meta.xml`); a Metadata API retrieve names them
`reports/Sales-meta.xml`, and so does a branch converted from source format. Left alone, the
first pull after the change would show every report, dashboard, email and document folder as
removed and added, and a train built across it would delete and re-create them (deleting a
non-empty folder fails on a real org). So the next pull first writes one commit on the
environment's ref that only renames those files (same blobs, same index, same metadata),
titled "migrated N folder files to Metadata API names", and then pulls on top of it.
"""

from __future__ import annotations

import json

from sfenv.core.metadata.registry import Registry
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.io.store.stream import BlobId

MESSAGE = "migrated {n} folder files to Metadata API names"
META_KEY = "folder_migration"


def mdapi_folder_path(path: str, registry: Registry) -> str | None:
    """`reports/Sales-meta.xml` for `reports/Sales.reportFolder-meta.xml`; None when `path` is
    not a folder file under its source name (`Registry.mdapi_folder_path`)."""
    return registry.mdapi_folder_path(path)


def folder_renames(paths: dict[str, str], registry: Registry) -> dict[str, str]:
    """old path -> new path for every folder file of a snapshot tree still under its source
    name (`paths`: path -> blob id, as `SnapshotStore.files` gives it)."""
    renames = {}
    for path in paths:
        new = mdapi_folder_path(path, registry)
        if new is not None:
            renames[path] = new
    return renames


def migrate_folder_files(store: SnapshotStore, env: str, registry: Registry) -> str | None:
    """Rename the head snapshot's source-named folder files in one commit; the head commit
    after it (the same one when there was nothing to rename, None for a new environment).

    When both names of one folder are present (a hand edit), the Metadata API name wins and
    the other file is dropped in the same commit; the count in the message covers both."""
    head = store.head(env)
    if head is None:
        return None
    paths = store.files(head)
    renames = folder_renames(paths, registry)
    if not renames:
        return head
    added = {new: BlobId(paths[old]) for old, new in renames.items() if new not in paths}
    meta = dict(store.meta(head))
    meta.update(retrieved=0, removed=0, incremental=True, warnings=[],
                **{META_KEY: {"from": head, "renamed": dict(sorted(renames.items()))}})
    count = meta.get("components")
    subject = f"sfenv pull {env}: " + MESSAGE.format(n=len(renames))
    if count is not None:
        subject += f" ({count} components)"
    message = subject + "\n\n" + json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n"
    return store.write_ref_commit(store.env_ref(env), added, message, expected_old=head,
                                  base_commit=head, removed=sorted(renames))
