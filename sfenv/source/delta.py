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

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.compare.diff import diff_commits
from sfenv.compare.model import Change
from sfenv.metadata.package_xml import Package, destructive_files, parse_package
from sfenv.metadata.references import is_standard
from sfenv.metadata.registry import Registry, default_registry
from sfenv.metadata.xmlio import NS, canonical_text, canonicalize, local_name, parse_xml, write_xml
from sfenv.release.package import assemble, hold_unpackageable, is_entry
from sfenv.source.convert import to_source
from sfenv.source.load import Loaded, load_tree
from sfenv.source.trees import read_git, resolve_ref
from sfenv.store.snapshots import SnapshotStore

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


def _load(repo: Path, commit: str, sub: str, registry: Registry) -> tuple[Loaded, dict[str, bytes]]:
    prefix = sub.strip("/") + "/" if sub.strip("/") else ""
    files = read_git(repo, commit, wanted=lambda p: p.startswith(prefix))
    loaded = load_tree({p[len(prefix):]: d for p, d in files.items()}, f"{repo}@{commit[:12]}",
                       registry)
    return loaded, {p: canonicalize(p, d, registry) for p, d in loaded.files.items()}


def compute_delta(repo: Path, from_ref: str, to_ref: str, *, path: str = "",
                  registry: Registry | None = None) -> DeltaResult:
    registry = registry or default_registry()
    a, b = resolve_ref(repo, from_ref), resolve_ref(repo, to_ref)
    loaded_a, tree_a = _load(repo, a, path, registry)
    loaded_b, tree_b = _load(repo, b, path, registry)
    api_version = loaded_b.api_version or DEFAULT_API_VERSION
    with tempfile.TemporaryDirectory(prefix="sfenv-delta-") as tmp:
        store = SnapshotStore(Path(tmp))
        commit_a = store.write_snapshot("from", tree_a, {"components": 0}, expected_old=None)
        commit_b = store.write_snapshot("to", tree_b, {"components": 0}, expected_old=None)
        changes = diff_commits(store, commit_a, commit_b, registry=registry).changes
    kept, held = _hold(changes, registry)
    pkg, _units = assemble(kept, tree_b, registry, api_version)
    held += _trim_entries(pkg.files, tree_a, registry)
    package = _members(pkg.files.get("package.xml"))
    destructive: dict[str, list[str]] = {}
    for name in ("destructiveChangesPre.xml", "destructiveChangesPost.xml"):
        for type_name, members in _members(pkg.files.get(name)).items():
            destructive.setdefault(type_name, []).extend(members)
    return DeltaResult(a, b, api_version, changes, package,
                       {k: sorted(v) for k, v in sorted(destructive.items())},
                       sorted(held, key=lambda h: h.component), pkg.files,
                       sorted(set(loaded_a.warnings) | set(loaded_b.warnings)))


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
    or source format (`source_layout`)."""
    written: list[Path] = []
    files = source_layout(result) if fmt == "source" else result.files
    for rel, data in sorted(files.items()):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written

