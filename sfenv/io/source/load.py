"""A folder's or a commit's files -> the Metadata API tree they hold, format detected.

An sfdx project (`sfdx-project.json`) is converted from source format, honouring its package
directories, `.forceignore` and the replacements the environment declares values for; any
other tree is read as Metadata API format (from `src/` when `src/package.xml` exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sfenv.core.metadata.registry import META, Registry
from sfenv.io.source.convert import Conversion, to_mdapi
from sfenv.io.source.decompose import Keyless
from sfenv.io.source.project import (
    apply_replacements,
    is_source_project,
    read_project,
    source_files,
)

SOURCE = "source"
MDAPI = "mdapi"


@dataclass
class Loaded:
    format: str  # "source" | "mdapi"
    files: dict[str, bytes]  # Metadata API tree, not yet canonical
    origin: dict[str, list[str]] = field(default_factory=dict)  # mdapi path -> repository paths
    warnings: list[str] = field(default_factory=list)
    api_version: str | None = None
    keyless: dict[str, list[Keyless]] = field(default_factory=dict)  # see `decompose.Keyless`


def load_tree(files: Mapping[str, bytes], where: str, registry: Registry, *,
              values: Mapping[str, str] | None = None) -> Loaded:
    if is_source_project(files):
        project = read_project(files, where)
        chosen = source_files(files, project)
        warnings = apply_replacements(chosen, project, values or {}, files)
        table = registry.source.with_options(project.options)
        conversion: Conversion = to_mdapi(chosen, registry, table)
        warnings += _drop_meta_without_content(conversion.files, conversion.origin, registry)
        return Loaded(SOURCE, conversion.files, conversion.origin,
                      warnings + conversion.warnings, project.api_version, conversion.keyless)
    prefix = "src/" if "src/package.xml" in files else ""
    tree: dict[str, bytes] = {}
    origin: dict[str, list[str]] = {}
    warnings = []
    for path, data in files.items():
        if not path.startswith(prefix) or path.startswith(".") or "/." in path:
            continue
        rel = path[len(prefix):]
        if rel == "package.xml" or rel.startswith("destructiveChanges"):
            continue
        if registry.component_of(rel) is None:
            if "/" in rel:
                warnings.append(f"{path}: not metadata, left out")
            continue
        tree[rel] = data
        origin[rel] = [path]
    warnings += _drop_meta_without_content(tree, origin, registry)
    return Loaded(MDAPI, tree, origin, sorted(warnings))


def _drop_meta_without_content(tree: dict[str, bytes], origin: dict[str, list[str]],
                               registry: Registry) -> list[str]:
    """Leave out the `-meta.xml` of a content file that is not there (a commit deleting
    `X.cls` but keeping `X.cls-meta.xml`): the component has no body, so it cannot be
    deployed and the org cannot hold it; it is absent, as the Salesforce CLI and
    sfdx-git-delta see it (a delta then deletes it). One warning per file left out."""
    warnings: list[str] = []
    for rel in [r for r in tree if r.endswith(META) and r[: -len(META)] not in tree]:
        cid = registry.component_of(rel)
        mtype = registry.find(cid.type) if cid else None
        if cid is None or mtype is None or not mtype.meta_file or not mtype.handler.body_with_meta:
            continue
        where = ", ".join(origin.pop(rel, [rel]))
        del tree[rel]
        warnings.append(f"{where}: {cid} without its "
                        f"{rel[: -len(META)].rsplit('/', 1)[-1]}: left out (no body to deploy)")
    return warnings
