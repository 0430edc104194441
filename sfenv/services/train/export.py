"""`sfenv export ENV --format source DIR`: a snapshot written as an sfdx project (or as a
Metadata API folder with its package.xml).

Into an existing sfdx project, files go under its default package directory's `main/default`,
and an XML file whose content is unchanged keeps its bytes (formatting included), so the
export shows in `git diff` only what differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.errors import ConfigError
from sfenv.io.source.convert import to_source
from sfenv.io.source.outpaths import SafeWriter, check_destination, check_relative
from sfenv.io.source.project import PROJECT_FILE, read_project
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.train.package import manifest

FORMATS = ("source", "mdapi")


@dataclass
class ExportResult:
    commit: str
    folder: str
    format: str
    written: int
    unchanged: int
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"commit": self.commit, "folder": self.folder, "format": self.format,
                "written": self.written, "unchanged": self.unchanged, "warnings": self.warnings}


def _default_package_dir(dest: Path, api_version: str, writer: SafeWriter) -> str:
    """The folder (relative to `dest`) that gets the files: `<default package dir>/main/default`.
    An absolute or `..` package directory is refused: the export stays inside `dest`."""
    project_file = writer.target(PROJECT_FILE)
    if not project_file.exists():
        writer.write(PROJECT_FILE, (json.dumps({
            "packageDirectories": [{"path": "force-app", "default": True}],
            "sourceApiVersion": api_version}, indent=2) + "\n").encode("utf-8"))
        return "force-app/main/default"
    try:
        dirs = json.loads(project_file.read_text(encoding="utf-8"))["packageDirectories"]
        chosen = next((d for d in dirs if d.get("default")), dirs[0])["path"]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
        raise ConfigError(f"{project_file}: no packageDirectories to export into") from None
    if not isinstance(chosen, str):
        raise ConfigError(f"{project_file}: no packageDirectories to export into")
    rel = chosen.strip().removeprefix("./").rstrip("/")
    try:
        check_relative(rel, "export")
    except ConfigError:
        raise ConfigError(f"{project_file}: default package directory {chosen!r} is not inside "
                          f"{dest}; refused") from None
    return f"{rel}/main/default"


def export_snapshot(store: SnapshotStore, spec: str, dest: Path, *, fmt: str, api_version: str,
                    registry: Registry | None = None) -> ExportResult:
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}")
    registry = registry or default_registry()
    commit = store.resolve(spec)
    listing = {p: s for p, s in store.files(commit).items() if not p.startswith(".sfenv/")}
    blobs = store.read_blobs(listing.values())
    files = {p: blobs[s] for p, s in listing.items()}
    writer = SafeWriter(check_destination(dest), "export")
    if fmt == "mdapi":
        target = dest
        out = dict(files)
        ids = {cid for cid in (registry.component_of(p) for p in files) if cid is not None}
        out["package.xml"] = manifest(sorted(ids), registry, api_version)
        warnings: list[str] = []
        prefix = ""
    else:
        prefix = _default_package_dir(dest, api_version, writer) + "/"
        target = writer.target(prefix + "x").parent  # refuses a symlinked force-app/main/default
        existing = {p.relative_to(target).as_posix(): p.read_bytes()
                    for p in target.rglob("*") if p.is_file() and not p.is_symlink()} \
            if target.is_dir() else {}
        project = read_project({PROJECT_FILE: (dest / PROJECT_FILE).read_bytes()}, str(dest))
        table = registry.source.with_options(project.options)  # the project's decomposition presets
        conversion = to_source(files, registry, table, existing=existing)
        out, warnings = conversion.files, conversion.warnings
    for rel in out:
        writer.target(prefix + rel)  # refuse before writing anything
    written = unchanged = 0
    for rel, data in sorted(out.items()):
        path = target / rel
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            unchanged += 1
            continue
        writer.write(prefix + rel, data)
        written += 1
    return ExportResult(commit, str(target), fmt, written, unchanged, warnings)
