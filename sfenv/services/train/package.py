"""Assemble a deployable Metadata API package from component changes (pure: bytes in, bytes out).

Changes come from `sfenv.core.compare` (target = old side, source = new side). Added and modified
components are deployed with their files taken from the source snapshot; child components are
carried in partial parent files holding just them (`compose_file`; the whole file when the parent
and all its children travel, `whole_if_kept`); removed components go to
`destructiveChangesPost.xml`, or to `destructiveChangesPre.xml` when the deletion must happen
before the deploy (see `needs_pre`).
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from sfenv.core.compare.model import Change
from sfenv.core.metadata.components import compose_file, split_file, whole_if_kept
from sfenv.core.metadata.ids import ID_ORDER, ComponentId, kept_manual
from sfenv.core.metadata.package_xml import Package, write_package
from sfenv.core.metadata.references import is_standard
from sfenv.core.metadata.registry import Registry, SectionSpec
from sfenv.core.metadata.xmlio import local_name, parse_xml, sort_unordered, write_xml
from sfenv.core.metadata.ziputil import read_zip, write_zip
from sfenv.errors import MetadataError, ReleaseError
from sfenv.services.train.entries import EntryReader
from sfenv.services.train.model import EntryFit, PackageFiles
from sfenv.services.train.trees import prefetch

PACKAGE = "package.xml"
DESTRUCTIVE_POST = "destructiveChangesPost.xml"
DESTRUCTIVE_PRE = "destructiveChangesPre.xml"


@dataclass
class Unit:
    """The files of one top-level component and the members they deploy (the unit of a wave)."""

    owner: ComponentId
    members: list[ComponentId]
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.files.values())


# -- scope ------------------------------------------------------------------------------------

def _matches(cid: ComponentId, globs: Sequence[str]) -> bool:
    text = str(cid)
    return any(fnmatch.fnmatchcase(text, g) for g in globs)


def select(changes: Iterable[Change], *, include: Sequence[str] = (),
           exclude: Sequence[str] = (), members: Mapping[str, list[str]] | None = None,
           registry: Registry) -> list[Change]:
    """The changes in scope: `Type:Name` globs and/or a package.xml's members.

    A child component is in scope when it or its parent matches (including an object brings its
    changed fields); excluding a parent excludes its children.
    """
    wanted: set[ComponentId] | None = None
    wildcard: set[str] = set()
    if members is not None:
        wanted = set()
        for type_name, names in members.items():
            for name in names:
                if name == "*":
                    wildcard.add(type_name)
                else:
                    wanted.add(ComponentId(type_name, name))
    out: list[Change] = []
    for change in changes:
        cid = change.component
        ids = [cid] + ([change.parent] if change.parent else [])
        if include and not any(_matches(i, include) for i in ids):
            continue
        if exclude and any(_matches(i, exclude) for i in ids):
            continue
        if wanted is not None and not any(
                _manifest_id(i, registry) in wanted or _manifest_id(i, registry).type in wildcard
                for i in ids):
            continue
        out.append(change)
    return out


def is_entry(change: Change, registry: Registry) -> bool:
    """A permission entry row of a profile or permission set (`ProfileFieldPermission:Admin/
    Account.Region__c`): compare reviews it on its own, the Metadata API only knows its parent."""
    return (registry.find(change.component.type) is None and change.parent is not None
            and registry.find(change.parent.type) is not None)


def hold_unpackageable(changes: Iterable[Change], registry: Registry
                       ) -> tuple[list[Change], list[Change]]:
    """(packaged, held): a removed permission entry cannot be listed in a destructive manifest
    (it is revoked by deploying the parent with the permission off), so it is held back for a
    manual step rather than dropped."""
    changes = list(changes)
    # a deleted permission set or profile takes its entries with it: nothing to revoke or hold
    gone = {c.component for c in changes if c.kind == "removed" and c.parent is None}
    packaged: list[Change] = []
    held: list[Change] = []
    for change in changes:
        if change.kind == "removed" and change.parent in gone and is_entry(change, registry):
            continue
        revoked = change.kind == "removed" and is_entry(change, registry)
        # a permission set travels whole, so leaving the entry out of it revokes it
        whole = (revoked and change.parent is not None
                 and change.parent.type in registry.deployed_whole())
        (held if revoked and not whole else packaged).append(change)
    return packaged, held


def manual_type_names(manual_types: Sequence[str], registry: Registry) -> list[str]:
    """sfenv.yml's `manual_types` with type globs (`*Settings`) expanded to the registry's
    names; `Type:pattern` entries stay as they are."""
    names = [t.name for t in registry.types]
    out: set[str] = set()
    for pattern in manual_types:
        out.update(fnmatch.filter(names, pattern) or [pattern])
    return sorted(out)


def split_manual(changes: Iterable[Change], manual_types: Sequence[str]
                 ) -> tuple[list[Change], list[Change]]:
    """(packaged, manual): types the team keeps manual never go in a package. An entry is a
    type name or `Type:name-pattern` (`Group:*`, `Role:EMEA_*`: the template's own example,
    which matched nothing while entries were compared as type names only)."""
    packaged: list[Change] = []
    manual: list[Change] = []
    if not any(":" in m for m in manual_types):  # type names only: no id written out per change
        names = set(manual_types)
        for change in changes:
            kept = change.component.type in names or (
                change.parent is not None and change.parent.type in names)
            (manual if kept else packaged).append(change)
        return packaged, manual
    for change in changes:
        ids = [change.component, *([change.parent] if change.parent else [])]
        (manual if kept_manual(ids, manual_types) else packaged).append(change)
    return packaged, manual


# -- package.xml names ------------------------------------------------------------------------

def _manifest_id(cid: ComponentId, registry: Registry) -> ComponentId:
    """package.xml lists folders under their content type (ReportFolder:Sales -> Report:Sales)."""
    t = registry.find(cid.type)
    if t is None or not t.handler.is_folder:
        return cid
    content = registry.folder_content_type(t.name)
    return ComponentId(t.handler.manifest_type(t, content.name if content else None), cid.full_name)


def manifest(ids: Iterable[ComponentId], registry: Registry, api_version: str) -> bytes:
    types: dict[str, list[str]] = {}
    for cid in ids:
        mid = _manifest_id(cid, registry)
        types.setdefault(mid.type, []).append(mid.full_name)
    return write_package(Package(types={k: sorted(set(v)) for k, v in types.items()},
                                 version=api_version))


# -- assembly ---------------------------------------------------------------------------------

def deletions(changes: Iterable[Change], registry: Registry) -> list[ComponentId]:
    """Removed components; children of a removed parent go with it and are not listed, and
    entries of a permission set are revoked by deploying the set whole without them."""
    whole = registry.deployed_whole()
    removed = [c for c in changes if c.kind == "removed"
               and not (c.parent is not None and c.parent.type in whole
                        and c.parent != c.component)]
    gone = {c.component for c in removed}
    return sorted({c.component for c in removed if not (c.parent and c.parent in gone)},
                  key=ID_ORDER)


def needs_pre(deleted: Iterable[ComponentId], deployed: Iterable[ComponentId]) -> set[ComponentId]:
    """Deletions that must run before the deploy: a component re-created under a name that
    differs only in case (Salesforce names are case-insensitive, so the new one would collide
    with the old). A deletion that components of the package stop referencing must run after
    the deploy (Salesforce refuses to delete what is still referenced), so it stays in Post."""
    new = {(c.type, c.full_name.lower()) for c in deployed}
    return {d for d in deleted if (d.type, d.full_name.lower()) in new}


def _partial_file(path: str, data: bytes, owner: ComponentId, members: set[ComponentId],
                  registry: Registry) -> bytes:
    """The parent file carrying only `members`: the parent's own elements when the parent itself
    changed, plus just the changed children (never unchanged or excluded siblings)."""
    whole = whole_if_kept(path, data, members, registry) if owner in members else None
    if whole is not None:
        return whole
    pieces = split_file(path, data, registry)
    children = [p for p in pieces if p.parent is not None]
    parent_xml = pieces[0].xml if owner in members else None
    return compose_file(owner.type, [p.xml for p in children if p.id in members],
                        parent_xml, registry)


def _with_entries(path: str, data: bytes, entries: set[ComponentId], registry: Registry) -> bytes:
    """A profile or permission set file with its own settings and only the changed entries
    (a whole profile would drag in permissions for components the target may not have).
    The file is parsed once and the other entries dropped (no piece per entry)."""
    return write_xml(_entries_root(path, data, entries, registry)[0])


Row = tuple[SectionSpec, tuple[str, ...], str, str]  # EntryReader.row


def _entries_root(path: str, data: bytes, entries: set[ComponentId], registry: Registry
                  ) -> tuple[etree._Element, list[tuple[etree._Element, Row]]]:
    """`_with_entries`'s tree before writing, and the kept entries with their rows."""
    owner = registry.component_of(path)
    if owner is None:
        raise ReleaseError(f"{path}: not a metadata file sfenv knows")
    mtype = registry.get(owner.type)
    root = parse_xml(data, path)
    reader = EntryReader(owner, mtype)
    keep = {(c.type, c.full_name) for c in entries}
    kept: list[tuple[etree._Element, Row]] = []
    for el in list(root):
        found = reader.row(el)
        if found is None:
            continue
        if (found[2], found[3]) in keep:
            kept.append((el, found))
        else:
            root.remove(el)
    ordered = sorted(root, key=local_name)  # profiles list their elements alphabetically
    for el in ordered:
        root.append(el)
    sort_unordered(root, mtype)  # moves elements, never copies them: `kept` stays valid
    return root, kept


# an element holding elements (or comments) and text that is not blank: written, its text gains
# the line break and indentation that follow it, so its bytes parsed and written again differ
_MIXED = "boolean(//*[node()[not(self::text())]][text()[normalize-space()]])"


def _written_once_is_enough(data: bytes, root: etree._Element) -> bool:
    """Whether `write_xml(root)` parsed and written again gives the same bytes: no mixed
    content, and no character reference (the only way to a carriage return, tab or line
    break a parse would normalise in a text or attribute)."""
    return b"&#" not in data and not root.xpath(_MIXED)


class _Fitter:
    """Profile entries fitted to the target while the units are built: a profile file whose
    changed entries are kept is then parsed, fitted and written once, each entry's identity
    read once (`fit_entries` parsed the written file again and read every identity again)."""

    def __init__(self, changes: Sequence[Change], extra_units: Sequence[Unit],
                 target_has: Callable[[ComponentId], bool]) -> None:
        self.carried = {c.component for c in changes if c.kind != "removed"} | {
            u.owner for u in extra_units}
        self.available = _remembered(lambda c: c in self.carried or target_has(c))
        self.known: dict[tuple[str, str], bool] = {}
        self.fits: list[EntryFit] = []
        self.done: set[tuple[ComponentId, str]] = set()  # (owner, package path) fitted here

    def owners(self, owners: Iterable[ComponentId]) -> None:
        """The units' owners travel in the package: entries granting them are deployable."""
        self.carried.update(owners)

    def fit(self, kept: list[tuple[etree._Element, Row]], root: etree._Element) -> bool:
        """Leave out the kept entries whose grant is not available; whether one was."""
        dropped = False
        for el, row in kept:
            ok = _fit_row(row, self.available, self.known, self.fits)
            if ok is False:
                root.remove(el)
                dropped = True
        return dropped


def _fit_row(row: Row, available: Callable[[ComponentId], bool],
             known: dict[tuple[str, str], bool], fits: list[EntryFit]) -> bool | None:
    """Whether an entry's grant is deployable (None: the section grants no component), its
    `EntryFit` appended to `fits`."""
    section, values, kind, name = row
    if section.grants is None:
        return None
    key = (section.grants, values[0])
    ok = known.get(key)
    if ok is None:
        grants = ComponentId(*key)
        ok = known[key] = is_standard(grants) or available(grants)
    fits.append(EntryFit(f"{kind}:{name}", f"{key[0]}:{key[1]}", ok))
    return ok


def package_path(owner: ComponentId, path: str, registry: Registry) -> str:
    """Where a snapshot file goes in a Metadata API package: folders are `reports/Sales-meta.xml`
    there, whatever name the snapshot gives them."""
    mtype = registry.find(owner.type)
    return mtype.handler.package_path(mtype, owner.full_name, path) if mtype else path


def _files_by_owner(source: Mapping[str, bytes], owners: set[ComponentId],
                    registry: Registry) -> dict[ComponentId, list[str]]:
    """The source's files of each owner, classifying each path of the owners' folders once
    (asking the registry per unit was units x tree size: 68 s for a 500-unit train at 60k)."""
    folders = {registry.expected_path(o).split("/", 1)[0] + "/" for o in owners}
    out: dict[ComponentId, list[str]] = {}
    for path in source:
        if not path.startswith(tuple(folders)):
            continue
        owner = registry.component_of(path)
        if owner in owners:
            out.setdefault(owner, []).append(path)
    return {o: sorted(ps) for o, ps in out.items()}


def units(changes: Iterable[Change], source: Mapping[str, bytes], registry: Registry,
          fitter: _Fitter | None = None) -> list[Unit]:
    """Group added/modified components by the file(s) that carry them, with those files' bytes.
    With `fitter`, the profile files of changed entries are fitted to the target here."""
    whole = registry.deployed_whole()
    grouped: dict[ComponentId, list[Change]] = {}
    for change in changes:
        owner = change.parent or registry.parent_id(change.component)
        if change.kind == "removed" and not (owner.type in whole and is_entry(change, registry)):
            continue
        grouped.setdefault(owner, []).append(change)
    if fitter is not None:
        fitter.owners(grouped)
    by_owner = _files_by_owner(source, {owner for owner in grouped}, registry)
    prefetch(source, [p for paths in by_owner.values() for p in paths])
    out: list[Unit] = []
    for owner, group in sorted(grouped.items(), key=lambda kv: ID_ORDER(kv[0])):
        entries = {c.component for c in group if is_entry(c, registry)}
        members = sorted({owner if c.component in entries else c.component for c in group},
                         key=ID_ORDER)
        files = by_owner.get(owner, [])
        if not files:
            raise ReleaseError(f"{owner}: no file in the source snapshot "
                               f"(expected {registry.expected_path(owner)})")
        mtype = registry.find(owner.type)
        unit = Unit(owner, members)
        partial = mtype is not None and bool(mtype.children) and mtype.handler.compares_elements
        for path in files:
            data = source[path]
            if owner.type in whole:
                pass  # the source's whole file: a deploy replaces the target's
            elif entries and not path.endswith("-meta.xml"):
                root, kept = _entries_root(path, data, entries, registry)
                if fitter is not None and _written_once_is_enough(data, root):
                    fitter.fit(kept, root)
                    fitter.done.add((owner, package_path(owner, path, registry)))
                data = write_xml(root)
            elif partial and not path.endswith("-meta.xml"):
                data = _partial_file(path, data, owner, set(members), registry)
            unit.files[package_path(owner, path, registry)] = data
        out.append(unit)
    return out


def assemble(changes: Sequence[Change], source: Mapping[str, bytes], registry: Registry,
             api_version: str, *, extra_units: Sequence[Unit] = (),
             target_has: Callable[[ComponentId], bool] | None = None,
             ) -> tuple[PackageFiles, list[Unit]]:
    """The package files (`package.xml`, destructive manifests, `src/...`) and its units.
    With `target_has` (the target's inventory), profile and permission set entries granting
    a component neither the target nor the package has are left out (`PackageFiles.entries`
    lists every entry, deployed or not)."""
    fitter = _Fitter(changes, extra_units, target_has) if target_has is not None else None
    parts = units(changes, source, registry, fitter) + list(extra_units)
    fits: list[EntryFit] = []
    if fitter is not None:
        fits += fitter.fits
        for unit in parts:
            if unit.owner.type in registry.section_types():
                rest = {p: d for p, d in unit.files.items() if (unit.owner, p) not in fitter.done}
                fitted, found = fit_entries(rest, fitter.available, registry, fitter.known)
                unit.files = {p: fitted.get(p, d) for p, d in unit.files.items()}
                fits += found
    deployed = sorted({m for u in parts for m in u.members}, key=ID_ORDER)
    deleted = deletions(changes, registry)
    pre = needs_pre(deleted, deployed)
    files: dict[str, bytes] = {PACKAGE: manifest(deployed, registry, api_version)}
    post_ids = [d for d in deleted if d not in pre]
    if post_ids:
        files[DESTRUCTIVE_POST] = manifest(post_ids, registry, api_version)
    if pre:
        files[DESTRUCTIVE_PRE] = manifest(sorted(pre), registry, api_version)
    for unit in parts:
        for path, data in unit.files.items():
            files["src/" + path] = data
    pkg = PackageFiles(files=dict(sorted(files.items())), deployed=deployed, deleted=deleted,
                       pre_deleted=sorted(pre), entries=sorted(fits, key=lambda f: f.entry))
    return pkg, parts


def digest(files: Mapping[str, bytes]) -> str:
    """sha256 over the package files (paths and bytes, in path order): the train's identity."""
    h = hashlib.sha256()
    for path in sorted(files):
        data = files[path]
        h.update(path.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return "sha256:" + h.hexdigest()


# -- permission entries fitted to a target ------------------------------------------------------

def permission_files(files: Mapping[str, bytes], registry: Registry) -> list[str]:
    """The package's profile and permission set files (paths as given)."""
    kinds = set(registry.section_types())
    return [p for p in files if (owner := registry.component_of(p)) is not None
            and owner.type in kinds]


def _remembered(available: Callable[[ComponentId], bool]) -> Callable[[ComponentId], bool]:
    """`available`, asked once per component: every profile grants the same fields and
    classes (61,000 entries asked about a few thousand components in a real plan)."""
    known: dict[ComponentId, bool] = {}

    def ask(cid: ComponentId) -> bool:
        ok = known.get(cid)
        if ok is None:
            ok = known[cid] = available(cid)
        return ok
    return ask


def fit_entries(files: Mapping[str, bytes], available: Callable[[ComponentId], bool],
                registry: Registry, known: dict[tuple[str, str], bool] | None = None,
                ) -> tuple[dict[str, bytes], list[EntryFit]]:
    """The files with every profile/permission set entry whose granted component is not
    `available` left out (Salesforce rejects a deploy naming a component the org lacks:
    "no ApexClass named X found"), and every entry, deployed or not. Other files unchanged;
    a file with nothing left out keeps its bytes."""
    out = dict(files)
    fits: list[EntryFit] = []
    known = {} if known is None else known  # (type, name) granted -> deployable
    for path in permission_files(files, registry):
        owner = registry.component_of(path)
        assert owner is not None  # permission_files keeps owned paths only
        reader = EntryReader(owner, registry.get(owner.type))
        root = parse_xml(files[path], path)
        dropped = False
        for el in list(root):
            found = reader.row(el)
            if found is None:
                continue  # the owner's own settings
            if _fit_row(found, available, known, fits) is False:
                root.remove(el)
                dropped = True
        if dropped:
            out[path] = write_xml(root)
    return out, sorted(fits, key=lambda f: f.entry)


def carried_ids(files: Mapping[str, bytes], registry: Registry) -> set[ComponentId]:
    """Every component and child the package's metadata files carry."""
    out: set[ComponentId] = set()
    for path, data in files.items():
        owner = registry.component_of(path)
        if owner is None:
            continue
        out.add(owner)
        mtype = registry.find(owner.type)
        if mtype is not None and mtype.children and mtype.handler.compares_elements:
            try:
                out.update(p.id for p in split_file(path, data, registry))
            except MetadataError:
                continue
    return out




def fit_src(src: Mapping[str, bytes], target_has: Callable[[ComponentId], bool],
            registry: Registry) -> tuple[dict[str, bytes], list[EntryFit]]:
    """The train's metadata files fitted to one target, as `fit_zip` fits its zips: what a
    promotion's guard and verification compare with."""
    carried = carried_ids(src, registry)
    return fit_entries(src, _remembered(lambda c: c in carried or target_has(c)), registry)


def fit_zips(zips: Sequence[bytes], target_has: Callable[[ComponentId], bool],
             registry: Registry) -> tuple[list[bytes], list[EntryFit]]:
    """Every wave of a train fitted to one target; a component any wave carries counts as
    carried (waves deploy in order, permission sets after what they grant)."""
    members = [read_zip(z, f"wave {n}") for n, z in enumerate(zips, 1)]
    carried = set().union(*(carried_ids(m, registry) for m in members)) if members else set()
    out: list[bytes] = []
    fits: list[EntryFit] = []
    available = _remembered(lambda c: c in carried or target_has(c))
    for data, files in zip(zips, members, strict=True):
        fitted, found = fit_entries(files, available, registry)
        out.append(data if fitted == files else write_zip(fitted))
        fits += found
    return out, fits
