"""What an org holds: describeMetadata + listMetadata, filtered by manifest and policy.

listMetadata takes at most three queries a call; calls run in parallel. Folder types are
resolved (list the folders, then each folder's content). Child types (fields, validation
rules...) are listed too: Salesforce does not move a CustomObject's lastModifiedDate when one
of its fields changes, so incremental pulls need the children's dates.

The default manifest (`<name>*</name>`) means every type the org's describeMetadata lists,
less the shipped exclusion list (`sfenv.pull.coverage`). Folder contents are listed per folder,
`unfiled$public` included (listMetadata of the folder type does not return it). Types that
cannot be listed (StandardValueSet) are asked for by their known names; those rows are
`guessed`: the org may not have them, and one that does not come back is no loss.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sfenv.config.model import SHIPPED_MANIFESTS
from sfenv.errors import ConfigError
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.package_xml import Package, parse_package
from sfenv.metadata.registry import Registry
from sfenv.pull.coverage import exclusions, known_names

MANAGED_STATES = {"installed", "installedEditable", "deprecated", "deprecatedEditable"}
ALL_TYPES = "*"  # a manifest type name meaning every type the org describes
UNFILED = "unfiled$public"
PROPS_KEPT = ("id", "fileName", "lastModifiedDate", "lastModifiedByName", "createdDate",
              "createdByName", "manageableState", "namespacePrefix")


@dataclass
class Inventory:
    """Everything listed: top-level components to retrieve, and child components' dates."""

    top: dict[ComponentId, dict] = field(default_factory=dict)
    children: dict[ComponentId, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    list_calls: int = 0
    guessed: set[ComponentId] = field(default_factory=set)  # asked for by known name, not listed
    excluded: Counter = field(default_factory=Counter)  # type -> components left out by `exclude`
    managed: Counter = field(default_factory=Counter)  # type -> managed components left out
    excluded_types: dict[str, str] = field(default_factory=dict)  # type -> shipped reason

    def index(self) -> dict[str, dict]:
        """The per-component index stored in the snapshot (`.sfenv/components.json`)."""
        out: dict[str, dict] = {}
        for cid, props in [*self.top.items(), *self.children.items()]:
            out[str(cid)] = {k: props[k] for k in PROPS_KEPT if props.get(k) not in (None, "")}
        return dict(sorted(out.items()))


def load_manifest(name: str, root: Path) -> Package:
    """`default` (every type), `core`, `backup` (shipped in manifests/) or a package.xml path."""
    if name in SHIPPED_MANIFESTS:
        data = resources.files("sfenv.manifests").joinpath(f"{name}.xml").read_bytes()
        return parse_package(data, f"manifests/{name}.xml")
    path = (root / name).expanduser()
    if not path.is_file():
        raise ConfigError(f"manifest {path} does not exist (use default, core, backup or a package.xml path)")
    return parse_package(path.read_bytes(), str(path))


def _excluded(cid: ComponentId, patterns: Iterable[str]) -> bool:
    text = str(cid)
    return any(fnmatch.fnmatchcase(text, p) or fnmatch.fnmatchcase(cid.type, p) for p in patterns)


def list_inventory(client, registry: Registry, manifest: Package, *, exclude: list[str],
                   include_managed: bool, parallel: int = 3, progress=None) -> Inventory:
    """Describe the org, list what the manifest asks for, and filter it."""
    described = {d["xmlName"]: d for d in client.describe()}
    wanted: dict[str, list[str]] = {}
    inventory = Inventory()
    types = dict(manifest.types)
    if ALL_TYPES in types:
        types.pop(ALL_TYPES)
        skip = exclusions()
        inventory.excluded_types = {t: why for t, why in sorted(skip.items()) if t in described}
        for type_name in described:
            if type_name not in skip and registry.child(type_name) is None:
                types.setdefault(type_name, ["*"])
    for type_name, members in types.items():
        found = registry.child(type_name)
        parent = found[0].name if found else type_name
        if parent not in described:
            inventory.warnings.append(f"type {type_name} is not available in this org; skipped")
            continue
        wanted.setdefault(type_name, []).extend(members)

    top_types = sorted(t for t in wanted if registry.child(t) is None)
    child_types = sorted({c for t in top_types for c in (described[t].get("childXmlNames") or [])}
                         | {t for t in wanted if registry.child(t) is not None})

    folder_queries = []
    plain_queries = []
    for type_name in top_types:
        if described[type_name].get("inFolder"):
            folder_type = _folder_type(registry, type_name)
            folder_queries.append({"type": folder_type})
            # the unfiled folder is no folder component: listing the folder type skips it
            plain_queries.append({"type": type_name, "folder": UNFILED})
        else:
            plain_queries.append({"type": type_name})
    child_queries = [{"type": t} for t in child_types]

    def run(queries: list[dict]) -> list[dict]:
        batches = [queries[i:i + 3] for i in range(0, len(queries), 3)]
        results: list[dict] = []
        if progress:
            progress.stage("listing components", len(batches))
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            for rows in pool.map(client.list_metadata, batches):
                inventory.list_calls += 1
                results.extend(rows)
                if progress:
                    progress.advance()
        return results

    first = run(folder_queries + plain_queries + child_queries)
    folders = [r for r in first if r.get("type") in {q["type"] for q in folder_queries}]
    content_queries = []
    for folder in folders:
        content_type = registry.folder_content_type(folder["type"])
        if content_type is not None and content_type.name in top_types:
            content_queries.append({"type": content_type.name, "folder": folder["fullName"]})
    rows = first + (run(content_queries) if content_queries else [])

    per_type: dict[str, tuple[bool, set[str] | None]] = {}  # type -> (is child, explicit members)

    def rules(type_name: str) -> tuple[bool, set[str] | None]:
        if type_name not in per_type:
            members = wanted.get(type_name) or wanted.get(_folder_owner(registry, type_name) or "", [])
            explicit = None if (not members or "*" in members) else set(members)
            per_type[type_name] = (registry.child(type_name) is not None, explicit)
        return per_type[type_name]

    for row in rows:
        type_name, full_name = row.get("type"), row.get("fullName")
        if not type_name or not full_name:
            continue
        cid = ComponentId(type_name, full_name)
        if not include_managed and _is_managed(row):
            inventory.managed[type_name] += 1
            continue
        if exclude and _excluded(cid, exclude):
            inventory.excluded[type_name] += 1
            continue
        is_child, explicit = rules(type_name)
        if not is_child and explicit is not None and full_name not in explicit:
            continue
        (inventory.children if is_child else inventory.top)[cid] = row

    _add_known_names(inventory, wanted, exclude)
    for type_name, members in wanted.items():
        for member in members:
            if member != "*" and ComponentId(type_name, member) not in inventory.top \
                    and registry.child(type_name) is None:
                inventory.warnings.append(f"{type_name}:{member} is in the manifest but not in the org")
    return inventory


def _add_known_names(inventory: Inventory, wanted: dict[str, list[str]],
                     exclude: list[str]) -> None:
    """Unlistable types asked for with `*`: every known name not listed becomes a guessed row."""
    for type_name, members in wanted.items():
        if "*" not in members:
            continue
        for name in known_names(type_name):
            cid = ComponentId(type_name, name)
            if cid in inventory.top or (exclude and _excluded(cid, exclude)):
                continue
            inventory.top[cid] = {"type": type_name, "fullName": name}
            inventory.guessed.add(cid)


def _folder_type(registry: Registry, type_name: str) -> str:
    t = registry.find(type_name)
    if t is not None and t.folder_type:
        return t.folder_type
    return {"EmailTemplate": "EmailFolder"}.get(type_name, f"{type_name}Folder")


def _folder_owner(registry: Registry, folder_type: str) -> str | None:
    t = registry.folder_content_type(folder_type)
    return t.name if t else None


def _is_managed(row: dict) -> bool:
    return bool(row.get("namespacePrefix")) and row.get("manageableState") in MANAGED_STATES


def keep_known_present(inventory: Inventory, old_index: dict) -> None:
    """Incremental pulls ask again only for the known names the previous snapshot held (a
    standard value set the org gains later comes with the next full pull)."""
    for cid in [c for c in inventory.guessed if str(c) not in old_index]:
        inventory.guessed.discard(cid)
        del inventory.top[cid]
