"""What an org holds: describeMetadata + listMetadata, filtered by manifest and policy.

listMetadata takes at most three queries a call; calls run in parallel. Folder types are
resolved (list the folders, then each folder's content). Child types (fields, validation
rules...) are listed too: Salesforce does not move a CustomObject's lastModifiedDate when one
of its fields changes, so incremental pulls need the children's dates.

The default manifest (`<name>*</name>`) means every type the org's describeMetadata lists,
less the shipped exclusion list (`sfenv.services.pull.coverage`). Folder contents are listed per folder,
`unfiled$public` included (listMetadata of the folder type does not return it). Types that
cannot be listed (StandardValueSet) are asked for by their known names; those rows are
`guessed`: the org may not have them, and one that does not come back is no loss.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sfenv.config.model import SHIPPED_MANIFESTS
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import Package, parse_package
from sfenv.core.metadata.registry import Registry
from sfenv.core.metadata.typenames import check_manifest_types
from sfenv.errors import ConfigError
from sfenv.progress import Progress
from sfenv.services.pull.coverage import exclusions, known_names
from sfenv.services.pull.names import refuse_bad_name
from sfenv.services.pull.orgport import PullClient
from sfenv.services.pull.tracking import Relist

MANAGED_STATES = {"installed", "installedEditable", "deprecated", "deprecatedEditable"}
ALL_TYPES = "*"  # a manifest type name meaning every type the org describes
UNFILED = "unfiled$public"
PROPS_KEPT = ("id", "fileName", "lastModifiedDate", "lastModifiedByName", "createdDate",
              "createdByName", "manageableState", "namespacePrefix")


@dataclass
class Inventory:
    """Everything listed: top-level components to retrieve, and child components' dates."""

    # component -> its index entry (the listed row's PROPS_KEPT that are not empty)
    top: dict[ComponentId, dict[str, Any]] = field(default_factory=dict)
    children: dict[ComponentId, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    list_calls: int = 0
    guessed: set[ComponentId] = field(default_factory=set)  # asked for by known name, not listed
    excluded: Counter[str] = field(default_factory=Counter)  # type -> components left out by `exclude`
    managed: Counter[str] = field(default_factory=Counter)  # type -> managed components left out
    excluded_types: dict[str, str] = field(default_factory=dict)  # type -> shipped reason

    def index(self) -> dict[str, dict[str, Any]]:
        """The per-component index stored in the snapshot (`.sfenv/components.json`)."""
        rows = [(str(cid), props) for cid, props in [*self.top.items(), *self.children.items()]]
        rows.sort(key=lambda row: row[0])
        return dict(rows)


def load_manifest(name: str, root: Path, registry: Registry) -> Package:
    """`default` (every type), `core`, `backup` (shipped in manifests/) or a package.xml path.

    A user's manifest naming unknown types is a ConfigError (exit 2): never an empty snapshot
    from a typo. Shipped manifests may name types newer than the registry (listed if the org
    has them). `registry`: the project's (a type declared in sfenv.yml may be named)."""
    if name in SHIPPED_MANIFESTS:
        data = resources.files("sfenv.manifests").joinpath(f"{name}.xml").read_bytes()
        return parse_package(data, f"manifests/{name}.xml")
    path = (root / name).expanduser()
    if not path.is_file():
        raise ConfigError(f"manifest {path} does not exist (use default, core, backup or a package.xml path)")
    data = path.read_bytes()
    package = parse_package(data, str(path))
    problem = check_manifest_types(list(package.types), str(path), data.decode("utf-8", "replace"),
                                   registry)
    if problem:
        raise ConfigError(problem)
    return package


def _excluded(cid: ComponentId, patterns: Iterable[str]) -> bool:
    text = str(cid)
    return any(fnmatch.fnmatchcase(text, p) or fnmatch.fnmatchcase(cid.type, p) for p in patterns)


def list_inventory(client: PullClient, registry: Registry, manifest: Package, *,
                   exclude: list[str], include_managed: bool, parallel: int = 3,
                   progress: Progress | None = None,
                   relist: Relist | None = None, carried: dict[str, Any] | None = None) -> Inventory:
    """Describe the org, list what the manifest asks for, and filter it.

    `relist`/`carried` (an incremental pull that knows what changed, see
    `sfenv.services.pull.tracking`): only the types in `relist` are listed; every other type's rows are
    the previous snapshot's index entries (`carried`), filtered the same way."""
    described = {d["xmlName"]: d for d in client.describe()}
    inventory = Inventory()
    wanted = _wanted(registry, manifest, described, inventory)
    top_types = sorted(t for t in wanted if registry.child(t) is None)
    child_types = sorted({c for t in top_types for c in (described[t].get("childXmlNames") or [])}
                         | {t for t in wanted if registry.child(t) is not None})
    listable = {*top_types, *child_types,
                *(_folder_type(registry, t) for t in top_types if described[t].get("inFolder"))}
    all_top = set(top_types)
    some_folders: dict[str, frozenset[str]] = {}
    if relist is not None:
        top_types = [t for t in top_types if t in relist.types]
        child_types = [t for t in child_types if t in relist.types]
        relist = _with_old_folders(relist, carried)
        some_folders = {t: f for t, f in relist.folders.items() if t in top_types}

    folder_queries = []
    plain_queries = []
    named_folders = []  # (type, folder) listed without listing the folder type
    for type_name in top_types:
        if type_name in some_folders:
            for folder in sorted(some_folders[type_name]):
                if folder == UNFILED:
                    plain_queries.append({"type": type_name, "folder": UNFILED})
                else:
                    named_folders.append({"type": type_name, "folder": folder})
        elif described[type_name].get("inFolder"):
            folder_type = _folder_type(registry, type_name)
            folder_queries.append({"type": folder_type})
            # the unfiled folder is no folder component: listing the folder type skips it
            plain_queries.append({"type": type_name, "folder": UNFILED})
        else:
            plain_queries.append({"type": type_name})

    def run(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        batches = [queries[i:i + 3] for i in range(0, len(queries), 3)]
        results: list[dict[str, Any]] = []
        if progress:
            progress.stage("listing components", len(batches))
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            for rows in pool.map(lambda batch: client.list_metadata(batch, _ROW_KEYS), batches):
                inventory.list_calls += 1
                results.extend(map(_slim, rows))
                if progress:
                    progress.advance()
        return results

    first = run(folder_queries + plain_queries)
    folder_types = {q["type"] for q in folder_queries}
    second = [{"type": t} for t in _children_worth_listing(registry, child_types, all_top,
                                                           first, carried)] + named_folders
    for folder_row in (r for r in first if r.get("type") in folder_types):
        content_type = registry.folder_content_type(folder_row["type"])
        if content_type is not None and content_type.name in top_types:
            second.append({"type": content_type.name, "folder": folder_row["fullName"]})
    rows = first + (run(second) if second else [])
    if carried is not None and relist is not None:
        rows += _carried_rows(registry, carried, relist, listable, rows)
    listed_names = _names_of_named_types(rows, wanted)
    _keep_rows(inventory, registry, rows, wanted, exclude=exclude,
               include_managed=include_managed)
    _add_known_names(inventory, wanted, exclude, registry)
    _refuse_unknown_members(inventory, wanted, manifest, listed_names)
    return inventory


def _names_of_named_types(rows: list[dict[str, Any]], wanted: dict[str, list[str]]) -> dict[str, set[str]]:
    """Every listed name of the types the manifest names members of (for "did you mean")."""
    named = {t for t, members in wanted.items() if members and "*" not in members}
    out: dict[str, set[str]] = {t: set() for t in named}
    for row in rows:
        if row.get("type") in out and row.get("fullName"):
            out[row["type"]].add(row["fullName"])
    return out


def _refuse_unknown_members(inventory: Inventory, wanted: dict[str, list[str]],
                            manifest: Package, listed: dict[str, set[str]]) -> None:
    """ConfigError (exit 2) naming the manifest's members the org does not have: a misspelt
    member used to be a warning, and a manifest of one misspelt member emptied the snapshot."""
    named_types = {t for t, members in wanted.items() if members and "*" not in members}
    if not named_types:
        return
    present: dict[str, set[str]] = {t: set() for t in named_types}
    for cid in (*inventory.top, *inventory.children):  # one pass, whatever the manifest's size
        if cid.type in present:
            present[cid.type].add(cid.full_name)
    missing: list[str] = []
    for type_name in sorted(named_types):
        # listed counts as known even when `exclude` or include_managed left it out
        names = present[type_name] | listed.get(type_name, set())
        for member in dict.fromkeys(wanted[type_name]):
            if member in names:
                continue
            close = difflib.get_close_matches(member, sorted(listed.get(type_name, names)), n=1,
                                              cutoff=0.75) if len(missing) < 5 else []
            hint = f" (did you mean {close[0]}?)" if close else ""
            missing.append(f"{type_name}:{member}{hint}")
    if missing:

        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        source = manifest.source or "the manifest"
        raise ConfigError(f"{source}: names {len(missing)} component"
                          f"{'s' if len(missing) > 1 else ''} the org does not have: "
                          f"{', '.join(missing[:5])}{more}; fix the name or remove it from "
                          "the manifest")


_ROW_KEYS = ("type", "fullName", *PROPS_KEPT)  # what a pull keeps of a listed row


def _slim(row: dict[str, Any]) -> dict[str, Any]:
    """The listed row without its empty values, in place (the client keeps only `_ROW_KEYS`,
    interned: a 60k-component org lists ~170k rows, most of a pull's memory while listing)."""
    for key in [k for k, v in row.items() if v in (None, "")]:
        del row[key]
    return row


def _wanted(registry: Registry, manifest: Package, described: dict[str, dict[str, Any]],
            inventory: Inventory) -> dict[str, list[str]]:
    """Type -> members the manifest asks for, among the types the org describes."""
    wanted: dict[str, list[str]] = {}
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
    return wanted


def _with_old_folders(relist: Relist, carried: dict[str, Any] | None) -> Relist:
    """`relist` plus the folders of carried rows with a name SourceMember gave in another
    folder: a report moved between folders has a row for its new name only, and its old
    folder (carried, not listed) would otherwise keep it."""
    if not relist.folders or not relist.names or not carried:
        return relist
    out = {t: set(f) for t, f in relist.folders.items()}
    for key in carried:
        type_name, _, full_name = key.partition(":")
        names = relist.names.get(type_name)
        if type_name in out and names and "/" in full_name \
                and full_name.rsplit("/", 1)[1] in names:
            out[type_name].add(full_name.split("/", 1)[0])
    return dataclasses.replace(relist, folders={t: frozenset(f) for t, f in out.items()})


def _children_worth_listing(registry: Registry, child_types: list[str], listed_top: set[str],
                            first: list[dict[str, Any]], carried: dict[str, Any] | None) -> list[str]:
    """The child types to list: a child type (`Parent.Child` names) whose parent type was
    listed and has no component (now, or carried over) has none either, and is not listed
    (on a seeded org, most of the ~100 child types belong to parents the org does not use)."""
    parents_present = {r.get("type") for r in first}
    parents_present |= {ComponentId.parse(k).type for k in (carried or {})}
    out = []
    for child_type in child_types:
        found = registry.child(child_type)
        if (found is None or not found[1].qualified or found[0].name not in listed_top
                or found[0].name in parents_present):
            out.append(child_type)
    return out


def _carried_rows(registry: Registry, carried: dict[str, Any], relist: Relist,
                  listable: set[str], listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The previous index's rows of the (still wanted) types not listed again, less the
    children of parents that are gone (a deleted object takes its fields with it)."""
    present = {ComponentId(r["type"], r["fullName"]) for r in listed
               if r.get("type") and r.get("fullName")}
    # type -> whether its rows may belong to a parent listed again (and so may be gone)
    orphanable: dict[str, bool] = {}
    out = []
    for key, props in carried.items():
        type_name, _, full_name = key.partition(":")
        if type_name not in listable or relist.lists(type_name, full_name):
            continue
        if type_name not in orphanable:
            found = registry.child(type_name)
            orphanable[type_name] = found is not None and found[0].name in relist.types
        if orphanable[type_name]:
            cid = ComponentId(type_name, full_name)
            if registry.parent_id(cid) not in present:
                continue  # a deleted object takes its fields with it
        out.append({**props, "type": type_name, "fullName": full_name})
    return out


def _keep_rows(inventory: Inventory, registry: Registry, rows: list[dict[str, Any]],
               wanted: dict[str, list[str]], *, exclude: list[str], include_managed: bool) -> None:
    """Rows into the inventory, less managed, excluded and unasked-for components."""
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
        refuse_bad_name(type_name, full_name, "listing")
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
        row.pop("type")
        row.pop("fullName")  # what is left is the index entry (`_slim` dropped the rest)
        (inventory.children if is_child else inventory.top)[cid] = row


def _add_known_names(inventory: Inventory, wanted: dict[str, list[str]],
                     exclude: list[str], registry: Registry) -> None:
    """Unlistable types asked for with `*`: every known name not listed becomes a guessed row."""
    for type_name, members in wanted.items():
        if "*" not in members:
            names = set(known_names(type_name, registry))
            for name in members:  # a named member of a type that cannot be listed
                cid = ComponentId(type_name, name)
                if name in names and cid not in inventory.top:
                    inventory.top[cid] = {}
                    inventory.guessed.add(cid)
            continue
        for name in known_names(type_name, registry):
            cid = ComponentId(type_name, name)
            if cid in inventory.top or (exclude and _excluded(cid, exclude)):
                continue
            inventory.top[cid] = {}
            inventory.guessed.add(cid)


def _folder_type(registry: Registry, type_name: str) -> str:
    """The folder type of a type the org describes as in folders (the registry's, else
    Salesforce's naming rule `<type>Folder`)."""
    t = registry.find(type_name)
    return t.folder_type if t is not None and t.folder_type else f"{type_name}Folder"


def _folder_owner(registry: Registry, folder_type: str) -> str | None:
    t = registry.folder_content_type(folder_type)
    return t.name if t else None


def _is_managed(row: dict[str, Any]) -> bool:
    return bool(row.get("namespacePrefix")) and row.get("manageableState") in MANAGED_STATES


def keep_known_present(inventory: Inventory, old_index: dict[str, Any]) -> None:
    """Incremental pulls ask again only for the known names the previous snapshot held (a
    standard value set the org gains later comes with the next full pull)."""
    for cid in [c for c in inventory.guessed if str(c) not in old_index]:
        inventory.guessed.discard(cid)
        del inventory.top[cid]
