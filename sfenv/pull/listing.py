"""What an org holds: describeMetadata + listMetadata, filtered by manifest and policy.

listMetadata takes at most three queries a call; calls run in parallel. Folder types are
resolved (list the folders, then each folder's content). Child types (fields, validation
rules...) are listed too: Salesforce does not move a CustomObject's lastModifiedDate when one
of its fields changes, so incremental pulls need the children's dates.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sfenv.errors import ConfigError
from sfenv.metadata.ids import ComponentId
from sfenv.metadata.package_xml import Package, parse_package
from sfenv.metadata.registry import Registry

MANAGED_STATES = {"installed", "installedEditable", "deprecated", "deprecatedEditable"}
PROPS_KEPT = ("id", "fileName", "lastModifiedDate", "lastModifiedByName", "createdDate",
              "createdByName", "manageableState", "namespacePrefix")


@dataclass
class Inventory:
    """Everything listed: top-level components to retrieve, and child components' dates."""

    top: dict[ComponentId, dict] = field(default_factory=dict)
    children: dict[ComponentId, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    list_calls: int = 0

    def index(self) -> dict[str, dict]:
        """The per-component index stored in the snapshot (`.sfenv/components.json`)."""
        out: dict[str, dict] = {}
        for cid, props in [*self.top.items(), *self.children.items()]:
            out[str(cid)] = {k: props[k] for k in PROPS_KEPT if props.get(k) not in (None, "")}
        return dict(sorted(out.items()))


def load_manifest(name: str, root: Path) -> Package:
    """`default`, `backup` (shipped in manifests/) or a path to a package.xml."""
    if name in ("default", "backup"):
        data = resources.files("sfenv.manifests").joinpath(f"{name}.xml").read_bytes()
        return parse_package(data, f"manifests/{name}.xml")
    path = (root / name).expanduser()
    if not path.is_file():
        raise ConfigError(f"manifest {path} does not exist (use default, backup or a package.xml path)")
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
    for type_name, members in manifest.types.items():
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
            plain_queries.append(None)  # placeholder; resolved after folders are known
        else:
            plain_queries.append({"type": type_name})
    plain_queries = [q for q in plain_queries if q]
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
            continue
        if exclude and _excluded(cid, exclude):
            continue
        is_child, explicit = rules(type_name)
        if not is_child and explicit is not None and full_name not in explicit:
            continue
        (inventory.children if is_child else inventory.top)[cid] = row

    for type_name, members in wanted.items():
        for member in members:
            if member != "*" and ComponentId(type_name, member) not in inventory.top \
                    and registry.child(type_name) is None:
                inventory.warnings.append(f"{type_name}:{member} is in the manifest but not in the org")
    return inventory


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
