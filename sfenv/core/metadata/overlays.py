"""A project's own registry: the shipped type table with sfenv.yml's `metadata_types:` laid
over it (a type the Metadata API has and the table lacks, or a known type's suffix, folder or
strategy changed), as the Salesforce CLI lets a project customise its registry in
sfdx-project.json. Each mistake is a ConfigError naming sfenv.yml's line and key (exit 2).

Without overlays the project's registry *is* the shipped one (the same object), so nothing
changes for a project that declares none (the diff's disk cache keys on that identity).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from sfenv.config.model import Config, TypeOverlay
from sfenv.core.metadata.handlers import HANDLERS
from sfenv.core.metadata.registry import MetadataType, Registry, default_registry
from sfenv.errors import ConfigError

SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")  # one path segment, no dot tricks
SUFFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def project_registry(config: Config, base: Registry | None = None) -> Registry:
    """The registry this project sees: `base` (the shipped one) with its overlays applied."""
    base = base or default_registry()
    if not config.metadata_types:
        return base
    types = {t.name: t for t in base.types}
    for overlay in config.metadata_types:
        types[overlay.name] = _apply(config, overlay, types.get(overlay.name))
    _check_together(config, types)
    return Registry(tuple(types.values()), base.source, cache_tag=_tag(config, base))


def _tag(config: Config, base: Registry) -> str | None:
    """The disk-cache tag of the result: the base's plus a digest of what the overlays say
    (not where), so two projects declaring the same types share cached diffs."""
    if base.cache_tag is None:
        return None
    said = repr([(o.name, o.values) for o in config.metadata_types])
    return f"{base.cache_tag}+overlays:{hashlib.sha256(said.encode()).hexdigest()[:16]}"


def _fail(config: Config, overlay: TypeOverlay, key: str | None, message: str) -> ConfigError:
    line = overlay.line_of(key) if key else overlay.line
    where = f"metadata_types.{overlay.name}" + (f".{key}" if key else "")
    return ConfigError(f"{config.file}:{line}: {where}: {message}")


def _text(overlay: TypeOverlay, key: str) -> str | None:
    value = overlay.get(key)
    return value if isinstance(value, str) else None


def _apply(config: Config, overlay: TypeOverlay, known: MetadataType | None) -> MetadataType:
    if known is not None and known.parent is not None:
        raise _fail(config, overlay, None, f"{overlay.name} is a child type of {known.parent}; "
                    "its file is its parent's, so only the parent can be changed")
    strategy = _text(overlay, "strategy") or (known.strategy if known else "xml")
    if strategy not in HANDLERS:
        raise _fail(config, overlay, "strategy", f"unknown strategy '{strategy}' "
                    f"(known: {', '.join(HANDLERS)})")
    directory = _text(overlay, "directory") or (known.directory if known else None)
    if directory is None:
        raise _fail(config, overlay, None, f"{overlay.name} is not a type sfenv knows: give its "
                    "directory (as a retrieve names it) and suffix")
    if not SEGMENT.match(directory):
        raise _fail(config, overlay, "directory", f"'{directory}' must be one folder name "
                    "(letters, digits, - or _)")
    suffix = _text(overlay, "suffix")
    if suffix is not None and not SUFFIX.match(suffix):
        raise _fail(config, overlay, "suffix", f"'{suffix}' must be letters, digits, - or _ "
                    "(without the dot)")
    flags = {k: bool(v) for k, v in overlay.values if isinstance(v, bool)}
    if known is not None:
        return replace(
            known, directory=directory, strategy=strategy,
            suffix=suffix if suffix is not None else known.suffix,
            folder_type=_text(overlay, "folder_type") or known.folder_type,
            bundle_main=_text(overlay, "bundle_main") or known.bundle_main,
            meta_file=flags.get("meta_file", known.meta_file),
            in_folder=flags.get("in_folder", known.in_folder),
            name_has_extension=flags.get("name_has_extension", known.name_has_extension))
    if suffix is None and strategy in ("xml", "content") and not flags.get("name_has_extension"):
        raise _fail(config, overlay, None, f"{overlay.name} is not a type sfenv knows: give its "
                    "suffix too (the file name's ending, e.g. suffix: mything)")
    return MetadataType(
        name=overlay.name, directory=directory, suffix=suffix,
        meta_file=flags.get("meta_file", strategy == "content"),
        in_folder=flags.get("in_folder", False), folder_type=_text(overlay, "folder_type"),
        strategy=strategy, name_has_extension=flags.get("name_has_extension", False),
        bundle_main=_text(overlay, "bundle_main"))


def _check_together(config: Config, types: dict[str, MetadataType]) -> None:
    """Two top-level types claiming the same files would make a file's owner a guess."""
    overlays = {o.name: o for o in config.metadata_types}
    seen: dict[tuple[str, str | None, str], str] = {}
    for t in types.values():
        if t.parent is not None:
            continue
        key = (t.directory, t.suffix, "folder" if t.handler.is_folder else "files")
        other = seen.get(key)
        if other is not None and (t.name in overlays or other in overlays):
            mine, theirs = (t.name, other) if t.name in overlays else (other, t.name)
            raise _fail(config, overlays[mine], "suffix" if overlays[mine].get("suffix")
                        else "directory", f"{mine} and {theirs} would both own "
                        f"{t.directory}/*.{t.suffix or '*'}: give {mine} its own directory or suffix")
        seen[key] = t.name
    for name, overlay in overlays.items():
        folder = types[name].folder_type
        if types[name].in_folder and (folder is None or folder not in types):
            raise _fail(config, overlay, "folder_type" if folder else "in_folder",
                        f"in_folder needs folder_type naming a folder type "
                        f"({folder or 'none given'} is not one)")
