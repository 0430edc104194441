"""An sfdx project as sfenv reads it: package directories, `.forceignore`, replacements.

Input is a plain mapping of repository paths to bytes (from a folder or a git tree), so the
same code serves `dir` and `git` environments and `sfenv delta`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pathspec

from sfenv.errors import ConfigError

PROJECT_FILE = "sfdx-project.json"
FORCEIGNORE = ".forceignore"
# What the Salesforce CLI ignores whatever .forceignore says.
DEFAULT_IGNORES = ("**/*.dup", "**/.*", "**/package2-descriptor.json",
                   "**/package2-manifest.json")


@dataclass(frozen=True)
class Replacement:
    """One `replacements` entry of sfdx-project.json (file or glob; string or regex; env or file)."""

    filename: str | None
    glob: str | None
    string: str | None
    regex: str | None
    env_name: str | None  # replaceWithEnv
    file: str | None  # replaceWithFile

    def applies_to(self, path: str) -> bool:
        if self.filename is not None:
            return path == self.filename
        return bool(self.glob) and pathspec.GitIgnoreSpec.from_lines([self.glob]).match_file(path)


@dataclass(frozen=True)
class SfdxProject:
    package_dirs: tuple[str, ...]
    ignore: pathspec.GitIgnoreSpec
    replacements: tuple[Replacement, ...] = ()
    api_version: str | None = None
    warnings: tuple[str, ...] = field(default=())
    options: tuple[str, ...] = ()  # sourceBehaviorOptions (decomposition presets)

    def ignored(self, path: str) -> bool:
        return self.ignore.match_file(path)

    def in_package(self, path: str) -> bool:
        return any(d in ("", ".") or path.startswith(d.rstrip("/") + "/") for d in self.package_dirs)


def is_source_project(paths: Mapping[str, object]) -> bool:
    return PROJECT_FILE in paths


def read_project(files: Mapping[str, bytes], where: str) -> SfdxProject:
    """The project described by `sfdx-project.json` and `.forceignore` among `files`."""
    raw = files.get(PROJECT_FILE)
    if raw is None:
        raise ConfigError(f"{where}: no {PROJECT_FILE} (not an sfdx project)")
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise ConfigError(f"{where}/{PROJECT_FILE}: not valid JSON: {err}") from None
    dirs = data.get("packageDirectories") if isinstance(data, dict) else None
    if not isinstance(dirs, list) or not dirs:
        raise ConfigError(f"{where}/{PROJECT_FILE}: packageDirectories must list at least one path")
    package_dirs: list[str] = []
    for entry in dirs:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path.strip() or ".." in path.split("/"):
            raise ConfigError(f"{where}/{PROJECT_FILE}: packageDirectories entry without a valid path")
        package_dirs.append(path.strip().removeprefix("./").rstrip("/"))
    lines = list(DEFAULT_IGNORES)
    if FORCEIGNORE in files:
        lines += files[FORCEIGNORE].decode("utf-8", "replace").splitlines()
    replacements = tuple(_replacement(r, where) for r in data.get("replacements") or ())
    version = data.get("sourceApiVersion")
    options = data.get("sourceBehaviorOptions") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise ConfigError(f"{where}/{PROJECT_FILE}: sourceBehaviorOptions must be a list of names")
    return SfdxProject(tuple(package_dirs), pathspec.GitIgnoreSpec.from_lines(lines),
                       replacements, version if isinstance(version, str) else None,
                       options=tuple(options))


def _replacement(entry: object, where: str) -> Replacement:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}/{PROJECT_FILE}: a replacements entry must be an object")

    def text(key: str) -> str | None:
        value = entry.get(key)
        return value if isinstance(value, str) else None

    r = Replacement(text("filename"), text("glob"), text("stringToReplace"), text("regexToReplace"),
                    text("replaceWithEnv"), text("replaceWithFile"))
    if (r.filename is None and r.glob is None) or (r.string is None and r.regex is None):
        raise ConfigError(f"{where}/{PROJECT_FILE}: a replacement needs filename or glob, and "
                          "stringToReplace or regexToReplace")
    return r


def source_files(files: Mapping[str, bytes], project: SfdxProject) -> dict[str, bytes]:
    """The files of the package directories that `.forceignore` does not exclude."""
    return {p: d for p, d in files.items() if project.in_package(p) and not project.ignored(p)}


def apply_replacements(files: dict[str, bytes], project: SfdxProject,
                       values: Mapping[str, str], all_files: Mapping[str, bytes]) -> list[str]:
    """Apply replacements whose `replaceWithEnv` names a value declared for the environment
    (or whose `replaceWithFile` is in the repository); return warnings for the others."""
    warnings: list[str] = []
    for r in project.replacements:
        if r.env_name is not None:
            if r.env_name not in values:
                warnings.append(f"replacement {r.env_name!r} not applied: the environment "
                                f"declares no value {r.env_name!r}")
                continue
            new = values[r.env_name]
        elif r.file is not None and r.file in all_files:
            new = all_files[r.file].decode("utf-8", "replace")
        else:
            warnings.append(f"replacement from {r.file!r} not applied: no such file")
            continue
        for path in [p for p in files if r.applies_to(p)]:
            text = files[path].decode("utf-8", "surrogateescape")
            if r.string is not None:
                text = text.replace(r.string, new)
            else:
                text = re.sub(r.regex or "", lambda _m, new=new: new, text)
            files[path] = text.encode("utf-8", "surrogateescape")
    return warnings
