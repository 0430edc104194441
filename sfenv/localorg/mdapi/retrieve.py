"""The retrieve engine: a RetrieveRequest's types/members over the org folder -> zip content.

Behaves as Salesforce does for an unpackaged retrieve:
- `*` takes every component of a type (for in-folder types only those in `unfiled$public`,
  as Salesforce does; name folders or `Folder/Report` members explicitly);
- a child member (`CustomField Account.Region__c`) returns the parent file holding only the
  requested children (none of the parent's own settings: no label, no sharingModel), unless
  the parent itself is retrieved too;
- a Profile holds only the permissions for components in the same retrieve (plus its own
  settings); permission sets come back whole;
- a member that does not exist is a message (`Entity of type 'ApexClass' named 'Nope' cannot
  be found`), not an error; an unknown type is a message on package.xml;
- past 10,000 files or ~39 MB zipped the retrieve fails with LIMIT_EXCEEDED;
- members named in the fault injector's `unknown_exception_members` fail the whole retrieve
  with UNKNOWN_EXCEPTION.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sfenv.core.metadata.components import keep_children
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.package_xml import Package, write_package
from sfenv.core.metadata.profiles import filter_profile
from sfenv.core.metadata.xmlio import local_name, parse_xml, write_xml
from sfenv.core.metadata.ziputil import write_zip
from sfenv.localorg.state.inventory import Inventory, mdapi_file_name, member_id

MAX_FILES = 10_000
MAX_ZIP_BYTES = 39 * 1024 * 1024
UNFILED = "unfiled$public"
UNKNOWN_EXCEPTION_MESSAGE = (
    "An unexpected error occurred. Please include this ErrorId if you contact support: "
    "{error_id}"
)


@dataclass
class RetrieveOutcome:
    """What a finished retrieve reports: zip bytes, per-file properties, messages or an error."""

    zip_bytes: bytes = b""
    components: list[tuple[ComponentId, str]] = field(default_factory=list)  # (cid, fileName)
    messages: list[tuple[str, str]] = field(default_factory=list)            # (fileName, problem)
    error_code: str | None = None
    error_message: str | None = None
    file_count: int = 0

    @property
    def success(self) -> bool:
        return self.error_code is None


@dataclass
class Selection:
    """Resolved members: whole top-level components, and children wanted per parent."""

    whole: set[ComponentId] = field(default_factory=set)
    children: dict[ComponentId, set[ComponentId]] = field(default_factory=dict)
    messages: list[tuple[str, str]] = field(default_factory=list)

    def all_ids(self) -> set[ComponentId]:
        ids = set(self.whole)
        for kids in self.children.values():
            ids |= kids
        return ids


def not_found(type_name: str, member: str) -> str:
    return f"Entity of type '{type_name}' named '{member}' cannot be found"


def select(inv: Inventory, types: dict[str, list[str]], package_file: str) -> Selection:
    """Resolve requested types/members against the inventory."""
    sel = Selection()
    registry = inv.registry
    for type_name, members in sorted(types.items()):
        mtype = registry.find(type_name)
        child = registry.child(type_name) if mtype is None or mtype.parent else None
        if child is not None:
            _select_children(inv, sel, type_name, members)
            continue
        folder_of = _folder_owner(inv, type_name)
        if mtype is None and folder_of is None:
            sel.messages.append((package_file, f"Entity type: '{type_name}' is unknown"))
            continue
        for member in members:
            if member == "*":
                sel.whole |= set(_wildcard(inv, type_name))
                continue
            cid = _member_id(inv, type_name, member)
            if cid in inv.by_component:
                sel.whole.add(cid)
            else:
                sel.messages.append((package_file, not_found(type_name, member)))
    return sel


def _folder_owner(inv: Inventory, type_name: str) -> str | None:
    """`ReportFolder` -> `Report` (folder types named directly)."""
    for mtype in inv.registry.all():
        if mtype.in_folder and mtype.folder_type == type_name:
            return mtype.name
    return None


def _member_id(inv: Inventory, type_name: str, member: str) -> ComponentId:
    return member_id(inv.registry, type_name, member)


def _wildcard(inv: Inventory, type_name: str) -> list[ComponentId]:
    mtype = inv.registry.find(type_name)
    found = inv.of_type(type_name)
    if mtype is not None and mtype.in_folder:
        return [c for c in found if c.full_name.startswith(UNFILED + "/")]
    return found


def _select_children(inv: Inventory, sel: Selection, type_name: str, members: list[str]) -> None:
    if "*" in members:
        for child_id, parent in inv.children_of_type(type_name):
            sel.children.setdefault(parent, set()).add(child_id)
    for member in members:
        if member == "*":
            continue
        cid = ComponentId(type_name, member)
        parent = inv.find_child(cid)
        if parent is None:
            sel.messages.append(("package.xml", not_found(type_name, member)))
        else:
            sel.children.setdefault(parent, set()).add(cid)


# A type whose retrieved content depends on what else is in the retrieve gets a named handler:
# (path, data, ids in the same retrieve) -> bytes.
ContextFilter = Callable[[str, bytes, set[ComponentId]], bytes]


def context_filters(registry) -> dict[str, ContextFilter]:
    """Profiles keep only permissions for components retrieved alongside them."""
    def profile(path: str, data: bytes, ids: set[ComponentId]) -> bytes:
        return filter_profile(data, ids, source=path)

    return {"Profile": profile}


def collect_files(inv: Inventory, sel: Selection) -> tuple[dict[str, bytes], list[tuple[ComponentId, str]]]:
    """Files of the selection (partial parent files for child members) and (cid, fileName)."""
    registry = inv.registry
    filters = context_filters(registry)
    everything = sel.all_ids()
    files: dict[str, bytes] = {}
    components: list[tuple[ComponentId, str]] = []
    for cid in sorted(sel.whole):
        handler = filters.get(cid.type)
        for path in inv.by_component[cid]:
            data = inv.read(path)
            if handler is not None and not path.endswith("-meta.xml"):
                data = handler(path, data, everything)
            files[mdapi_file_name(path, registry)] = data
        components.append((cid, inv.main_file(cid)))
    for parent, kids in sorted(sel.children.items()):
        path = inv.main_file(parent)
        if parent not in sel.whole:
            files[path] = children_only(path, inv.read(path), set(kids), registry)
        components.extend((kid, path) for kid in sorted(kids))
    return files, components


def children_only(path: str, data: bytes, kids: set[ComponentId], registry) -> bytes:
    """The parent file as Salesforce returns it for child members alone: the root element
    holding just the requested children, none of the parent's own elements."""
    cid = registry.component_of(path)
    mtype = registry.get(cid.type) if cid is not None else None
    kept = keep_children(path, data, kids, registry)
    if mtype is None:
        return kept
    root = parse_xml(kept, path)
    for el in list(root):
        if isinstance(el.tag, str) and mtype.child_spec(local_name(el)) is None:
            root.remove(el)
    return write_xml(root)


def run_retrieve(
    inv: Inventory,
    types: dict[str, list[str]],
    *,
    api_version: str,
    single_package: bool,
    unknown_exception_members: Iterable[str] = (),
    error_id: str = "1234567890-12345 (-1234567890)",
    max_files: int = MAX_FILES,
    max_zip_bytes: int = MAX_ZIP_BYTES,
) -> RetrieveOutcome:
    """Run a whole retrieve over the inventory; see the module docstring for the rules."""
    prefix = "" if single_package else "unpackaged/"
    package_file = f"{prefix}package.xml"
    poisoned = _poisoned(types, set(unknown_exception_members))
    if poisoned:
        return RetrieveOutcome(
            error_code="UNKNOWN_EXCEPTION",
            error_message=UNKNOWN_EXCEPTION_MESSAGE.format(error_id=error_id),
        )
    sel = select(inv, types, package_file)
    messages = [(package_file if f == "package.xml" else f, p) for f, p in sel.messages]
    count = sum(len(inv.by_component[c]) for c in sel.whole) + len(
        [p for p in sel.children if p not in sel.whole]
    )
    if count > max_files:
        return RetrieveOutcome(
            error_code="LIMIT_EXCEEDED",
            error_message=f"Too many files in retrieve call, limit is: {max_files}",
            file_count=count,
        )
    files, components = collect_files(inv, sel)
    package = Package(types={t: sorted(m) for t, m in types.items()}, version=api_version)
    files["package.xml"] = write_package(package)
    zip_bytes = write_zip(files, prefix=prefix)
    if len(zip_bytes) > max_zip_bytes:
        return RetrieveOutcome(
            error_code="LIMIT_EXCEEDED",
            error_message=(
                f"The retrieved zip file exceeded the limit of {max_zip_bytes} bytes. "
                f"Total bytes retrieved: {len(zip_bytes)}"
            ),
            file_count=count,
        )
    components = [(cid, prefix + name) for cid, name in components]
    return RetrieveOutcome(
        zip_bytes=zip_bytes, components=components, messages=messages, file_count=count
    )


def _poisoned(types: dict[str, list[str]], chosen: set[str]) -> bool:
    """Fault injection: members named bare (`Nope`) or typed (`ApexClass:Nope`)."""
    if not chosen:
        return False
    for type_name, members in types.items():
        for member in members:
            if member in chosen or f"{type_name}:{member}" in chosen:
                return True
    return False
