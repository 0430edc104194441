"""`sfenv delta FROM TO`: the deployable package of the change between two commits of an sfdx
(or Metadata API) repository, the job sfdx-git-delta does.

Both commits are converted to canonical Metadata API trees and compared with sfenv's compare
layer, component by component (not file by file): a renamed or moved file, a field moved
between package directories or a migration from Metadata API to source format is no change
when the components are equal; a profile edit gives only the changed entries, a translation
only the changed field translations; a removed standard object or field, or a removed
profile or translation entry, is never put in a destructive manifest (they are listed as
held, to be handled by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sfenv.core.compare.diff import diff_trees
from sfenv.core.compare.model import Change
from sfenv.core.metadata.package_xml import Package, destructive_files, parse_package
from sfenv.core.metadata.references import is_standard
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import (
    NS,
    canonical_text,
    canonicalize,
    local_name,
    parse_xml,
    write_xml,
)
from sfenv.errors import MetadataError
from sfenv.io.source.convert import to_source
from sfenv.io.source.load import Loaded, load_tree
from sfenv.io.source.outpaths import SafeWriter, check_destination
from sfenv.io.source.paths import locate
from sfenv.io.source.project import FORCEIGNORE, PROJECT_FILE, SfdxProject, read_project
from sfenv.io.source.trees import git_dir_of, git_listing, resolve_ref
from sfenv.io.store.gitplumbing import Git
from sfenv.services.train.package import assemble, hold_unpackageable, is_entry

DEFAULT_API_VERSION = "62.0"


@dataclass
class Held:
    component: str
    reason: str


@dataclass
class DeltaResult:
    from_commit: str
    to_commit: str
    api_version: str
    changes: list[Change]
    package: dict[str, list[str]]
    destructive: dict[str, list[str]]
    held: list[Held]
    files: dict[str, bytes]  # package.xml, destructiveChanges*.xml, src/<Metadata API files>
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "from": self.from_commit, "to": self.to_commit, "api_version": self.api_version,
            "package": self.package, "destructive": self.destructive,
            "held": [{"component": h.component, "reason": h.reason} for h in self.held],
            "changes": [{"component": str(c.component), "kind": c.kind} for c in self.changes],
            "files": sorted(self.files), "warnings": self.warnings,
        }


CanonCache = dict[tuple[str, bytes], bytes]
"""(Metadata API path, file bytes) -> canonical bytes, shared by the deltas of a walk over
consecutive commits (each commit is the new side of one pair and the old side of the next)."""
CACHE_LIMIT = 20_000  # entries; a walk's cache is emptied past this, so memory stays bounded


def _load(repo: Path, commit: str, sub: str, registry: Registry,
          listing: dict[str, str], keep: set[tuple[str, str]] | None,
          cache: CanonCache | None = None) -> tuple[Loaded, dict[str, bytes]]:
    """The commit's canonical Metadata API tree: every metadata file of the project folder, or
    (`keep` given) only the files of the components `keep` names, plus the project files."""
    prefix = _prefix(sub)
    paths = {p[len(prefix):]: s for p, s in listing.items() if p.startswith(prefix)}
    if keep is not None:
        keys = _component_keys(paths, registry, _project_of(repo, commit, sub, paths),
                               _src_of(paths))
        paths = {p: s for p, s in paths.items()
                 if p in _PROJECT_PATHS or keys.get(p) in keep}
    blobs = Git(git_dir_of(repo)).read_blobs(list(paths.values()))
    try:
        loaded = load_tree({p: blobs[s] for p, s in paths.items()}, _at(commit, sub),
                           registry)
    except MetadataError as err:  # a source file that cannot be converted: name the commit
        raise MetadataError(f"{commit[:12]}:{prefix}{err}") from None
    tree: dict[str, bytes] = {}
    if cache is not None and len(cache) > CACHE_LIMIT:
        cache.clear()
    for path, data in loaded.files.items():
        try:
            if cache is None:
                tree[path] = canonicalize(path, data, registry)
            else:
                canon = cache.get((path, data))
                if canon is None:
                    canon = cache[(path, data)] = canonicalize(path, data, registry)
                tree[path] = canon
        except MetadataError as err:  # name the commit and the repository's file, not ours
            where = ", ".join(prefix + o for o in loaded.origin.get(path, [path]))
            raise MetadataError(f"{commit[:12]}:{where}: {err}") from None
    return loaded, tree


_PROJECT_PATHS = (PROJECT_FILE, FORCEIGNORE, "src/package.xml")


def _prefix(sub: str) -> str:
    return sub.strip("/") + "/" if sub.strip("/") else ""


def _at(commit: str, sub: str) -> str:
    """How a refusal names the project folder at a commit: `@<commit>` (`@<commit>/<sub>`),
    not the folder the repository is checked out in, which the user did not name."""
    return f"@{commit[:12]}" + (f"/{sub.strip('/')}" if sub.strip("/") else "")


def _project_of(repo: Path, commit: str, sub: str,
                paths: dict[str, str]) -> SfdxProject | None:
    if PROJECT_FILE not in paths:
        return None
    sha = paths[PROJECT_FILE]
    raw = Git(git_dir_of(repo)).read_blobs([sha])[sha]
    return read_project({PROJECT_FILE: raw}, _at(commit, sub))


def _src_of(paths: dict[str, str]) -> str:
    """Where a Metadata API tree starts (as `load_tree` reads it)."""
    return "src/" if "src/package.xml" in paths else ""


def _component_keys(paths: dict[str, str], registry: Registry, project: SfdxProject | None,
                    prefix: str) -> dict[str, tuple[str, str]]:
    """path -> (type folder, name up to its first dot) for the metadata files among `paths`:
    the same key for every file of one component in either format (`objects/Account.object`
    and `objects/Account/fields/X.field-meta.xml` both give ("objects", "Account")). Coarser
    than a component (every record of one custom metadata type shares a key), never finer."""
    keys: dict[str, tuple[str, str]] = {}
    if project is not None:
        table = registry.source.with_options(project.options)
        for path in paths:
            found = locate(path, registry, table)
            if found is not None:
                keys[path] = _key_of(found.rel)
        return keys
    for path in paths:
        if path.startswith(prefix):
            keys[path] = _key_of(path[len(prefix):])
    return keys


def _key_of(rel: str) -> tuple[str, str]:
    segments = rel.split("/")
    return segments[0], (segments[1].split(".", 1)[0] if len(segments) > 1 else "")


def _touched(repo: Path, sub: str, registry: Registry,
             sides: tuple[tuple[str, dict[str, str]], tuple[str, dict[str, str]]]
             ) -> set[tuple[str, str]] | None:
    """The component keys of the files that differ between the commits, or None when the whole
    trees must be read: what decides what every other file is changed (the package directories
    or decomposition options of `sfdx-project.json`, `.forceignore`, `src/package.xml`, the
    format), or replacements may read any file."""
    prefix = _prefix(sub)
    (_, listing_a), (_, listing_b) = sides
    changed = {p[len(prefix):] for p in listing_a.keys() | listing_b.keys()
               if p.startswith(prefix) and listing_a.get(p) != listing_b.get(p)}
    if changed & {FORCEIGNORE, "src/package.xml"}:
        return None
    keep: set[tuple[str, str]] = set()
    read_as: set[Reading] = set()
    for commit, listing in sides:
        paths = {p[len(prefix):]: s for p, s in listing.items() if p.startswith(prefix)}
        project = _project_of(repo, commit, sub, paths)
        if project is not None and project.replacements:
            return None
        read_as.add(_reading(project))
        keys = _component_keys({p: paths[p] for p in changed if p in paths}, registry, project,
                               _src_of(paths))
        keep.update(keys.values())
    # a new package version number (most commits of a packaged project) changes how no file
    # is read: only a change of what is read, or how, needs both whole trees
    return keep if len(read_as) == 1 else None


Reading = tuple[tuple[str, ...], tuple[str, ...]] | None


def _reading(project: SfdxProject | None) -> Reading:
    """What of `sfdx-project.json` decides which files are metadata and how they convert
    (package directories, decomposition options); None for a Metadata API tree."""
    return None if project is None else (project.package_dirs, project.options)


def compute_delta(repo: Path, from_ref: str, to_ref: str, *, path: str = "",
                  registry: Registry | None = None, narrow: bool = True,
                  cache: CanonCache | None = None) -> DeltaResult:
    """The delta between two commits. `narrow` (the default) reads only the components whose
    files differ between them (with every file of those components on both sides), so the
    cost follows the size of the change, not of the repository; the result is the same as
    reading both whole trees (`narrow=False`), which the corpora tests check. `cache` (a
    walk over many pairs) keeps canonical files between calls: the same bytes are not parsed,
    sorted and written again."""
    registry = registry or default_registry()
    a, b = resolve_ref(repo, from_ref), resolve_ref(repo, to_ref)
    listing_a, listing_b = git_listing(repo, a), git_listing(repo, b)
    keep = _touched(repo, path, registry, ((a, listing_a), (b, listing_b))) if narrow else None
    loaded_a, tree_a = _load(repo, a, path, registry, listing_a, keep, cache)
    loaded_b, tree_b = _load(repo, b, path, registry, listing_b, keep, cache)
    api_version = loaded_b.api_version or DEFAULT_API_VERSION
    try:
        changes = diff_trees(tree_a, tree_b, registry=registry).changes
        kept, held = _hold(changes, registry)
        pkg, _units = assemble(kept, tree_b, registry, api_version)
        held += _trim_entries(pkg.files, tree_a, registry)
    except MetadataError as err:
        raise _at_source(err, _prefix(path), ((b, loaded_b), (a, loaded_a))) from None
    package = _members(pkg.files.get("package.xml"))
    destructive: dict[str, list[str]] = {}
    for name in ("destructiveChangesPre.xml", "destructiveChangesPost.xml"):
        for type_name, members in _members(pkg.files.get(name)).items():
            destructive.setdefault(type_name, []).extend(members)
    warnings = set(loaded_a.warnings) | set(loaded_b.warnings)
    return DeltaResult(a, b, api_version, changes, package,
                       {k: sorted(v) for k, v in sorted(destructive.items())},
                       sorted(held, key=lambda h: h.component), pkg.files, sorted(warnings))


def _at_source(err: MetadataError, prefix: str,
               sides: tuple[tuple[str, Loaded], ...]) -> MetadataError:
    """A refusal of a converted file (`objects/X.object:3: <fields> without <fullName>`) that
    one of its source files caused, reworded to name that file at its commit; any other
    refusal as it is."""
    text = str(err)
    for commit, loaded in sides:
        for path, children in loaded.keyless.items():
            if text.startswith(f"{path}:"):
                for child in children:
                    if child.problem in text:
                        return MetadataError(f"{commit[:12]}:{prefix}{child.message}")
    return err


def _hold(changes: list[Change], registry: Registry) -> tuple[list[Change], list[Held]]:
    """Drop what must never be deleted by a deploy; say why. The removed entries of a removed
    profile or permission set go too: deleting their parent removes them, and there is no
    file left to carry them (that was `PermissionSet:X: no file in the source snapshot`)."""
    gone = {c.component for c in changes if c.kind == "removed" and c.parent is None}
    changes = [c for c in changes
               if not (c.kind == "removed" and c.parent in gone and is_entry(c, registry))]
    packaged, revoked = hold_unpackageable(changes, registry)
    held = [Held(str(c.component), "a removed permission entry: revoke it by hand")
            for c in revoked]
    kept: list[Change] = []
    for change in packaged:
        if change.kind == "removed" and is_standard(change.component):
            held.append(Held(str(change.component), "standard: never deleted"))
            continue
        kept.append(change)
    return kept, sorted(held, key=lambda h: h.component)


def _trim_entries(files: dict[str, bytes], tree_a: dict[str, bytes],
                  registry: Registry) -> list[Held]:
    """Decomposed types whose entries the registry does not know as components (the field
    translations of a CustomObjectTranslation) ship only the entries that changed; a removed
    entry cannot be deleted by a deploy and is held."""
    table = registry.source
    held: list[Held] = []
    for path in [p for p in files if p.startswith("src/")]:
        rel = path[len("src/"):]
        cid = registry.component_of(rel)
        spec = table.decomposed.get(cid.type) if cid else None
        if spec is None or registry.get(cid.type).children or rel not in tree_a:
            continue
        old_root, new_root = parse_xml(tree_a[rel], rel), parse_xml(files[path], path)
        for child in spec.children:
            old = {_key(el, child.key): canonical_text(el)
                   for el in old_root if local_name(el) == child.element}
            seen = set()
            for el in [e for e in new_root if local_name(e) == child.element]:
                key = _key(el, child.key)
                seen.add(key)
                if old.get(key) == canonical_text(el):
                    new_root.remove(el)
            held += [Held(f"{child.type}:{cid.full_name}.{key}",
                          "a removed entry: remove it by hand") for key in sorted(set(old) - seen)]
        files[path] = write_xml(new_root)
    return held


def _key(element, key: str) -> str:
    return element.findtext(f"{{{NS}}}{key}") or ""


def _members(data: bytes | None) -> dict[str, list[str]]:
    if not data:
        return {}
    return {k: sorted(v) for k, v in sorted(parse_package(data, "package.xml").types.items()) if v}


def source_layout(result: DeltaResult, registry: Registry | None = None) -> dict[str, bytes]:
    """The package in sfdx-git-delta's layout, files in source format:
    `package/package.xml`, `destructiveChanges/{package,destructiveChanges}.xml` (every
    deletion), `force-app/main/default/...` (the changed components, as partial as in `src/`)."""
    registry = registry or default_registry()
    files = {"package/package.xml": result.files["package.xml"]}
    deleted = Package({k: list(v) for k, v in result.destructive.items()}, result.api_version)
    for name, data in destructive_files(deleted, pre=True).items():
        files[f"destructiveChanges/{name}"] = data
    mdapi = {p[len("src/"):]: d for p, d in result.files.items() if p.startswith("src/")}
    for path, data in to_source(mdapi, registry).files.items():
        files[f"force-app/main/default/{path}"] = data
    return files


def write_delta(result: DeltaResult, out: Path, *, fmt: str = "mdapi") -> list[Path]:
    """Write the package under `out`: Metadata API (package.xml, destructive manifests, src/)
    or source format (`source_layout`). Every path goes through `SafeWriter`: nothing lands
    outside `out`, and no symlink below it is followed."""
    files = source_layout(result) if fmt == "source" else result.files
    return SafeWriter(check_destination(out), "--out").write_all(files)
